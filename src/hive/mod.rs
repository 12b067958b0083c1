//! Hive, the warehouse between the landed hours and the marts: a HiveServer2 client, and the
//! table over the landed hours with one partition per collection hour.

pub mod client;
pub mod warehouse;
