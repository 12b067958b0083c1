//! The vocabulary every stage of the data side shares, at its bottom: the collection hour, the
//! landed file's columns and rows, and where in HDFS the hours land. Nothing here knows the
//! stages (crawl, landing, warehouse, marts) that use it.

pub mod hour;
pub mod record;

/// The folder every hour lands below, in HDFS (and below a local folder, in the same layout).
pub const LANDING_ROOT: &str = "/user/source_data";

/// The name of an hour's landed file in its folder.
pub const LANDED_FILE: &str = "gmarket.csv";
