//! `provision` stands up a Hadoop HA data platform and the Gmarket crawl-to-mart pipeline
//! on it, and proves that it works.
//!
//! The flow of data through the modules:
//!
//! ```text
//! inventory/*.toml --inventory::load--> model::Cluster (validated, no I/O)
//!     --desired::render--> desired::Tree (every file of every host, pure)
//!     --plan::up / plan::down--> phases of engine::steps per host (pure)
//!     --engine::runner--> applied to the hosts through engine::transport
//! model + hosts --health / verify--> every daemon's state, the proofs
//! ```
//!
//! `catalog` holds the data tables (products, versions, operating systems) and `services`
//! one spec per daemon (unit, ports, folders, launch line, readiness probe) that renderers,
//! the plan and health share.
//!
//! The data side, bottom up: `dataset` (the hour, the landed columns, the landing root) ->
//! the stages `crawl`, `landing`, `warehouse` (with the `hive` client) and `marts` ->
//! `pipeline`, which runs them as one cycle and keeps the ledger.
//!
//! `ops` holds the use cases the binary's commands call; the library prints nothing.

pub mod artifacts;
pub mod catalog;
pub mod client;
pub mod crawl;
pub mod dataset;
pub mod desired;
pub mod engine;
pub mod hdfs;
pub mod health;
pub mod hive;
pub mod inventory;
pub mod landing;
pub mod machines;
pub mod marts;
pub mod model;
pub mod nifi;
pub mod ops;
pub mod pipeline;
pub mod plan;
pub mod secrets;
pub mod services;
pub mod state;
pub mod vagrant;
pub mod verify;
pub mod warehouse;
