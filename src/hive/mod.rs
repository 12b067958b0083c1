//! Hive as `provision` talks to it: a HiveServer2 client. The warehouse built with it is
//! `crate::warehouse`.

pub mod client;
