//! The command line, as clap types only.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Stand up a Hadoop HA data platform and the Gmarket crawl-to-mart pipeline, and prove it works.
#[derive(Debug, Parser)]
#[command(name = "provision", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render every configuration file of every host from the inventory.
    Render(RenderArgs),
}

/// Arguments of `provision render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The inventory file.
    #[arg(long, short, default_value = "inventory/cluster.toml")]
    pub inventory: PathBuf,
    /// The folder to render into [default: build/<inventory name>].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Render in memory and compare with the folder: print what differs, exit 1 if anything does.
    #[arg(long)]
    pub check: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}
