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
    /// Fetch the software the inventory's hosts run into the cache on this machine (once;
    /// `up` does it too), checked, and packed for hosts other than this machine.
    Fetch(FetchArgs),
    /// Connect to the hosts and show what `up` would change there, changing nothing.
    Plan(PlanArgs),
    /// Bring the hosts to the rendered state and start the platform (every step acts only
    /// where the host differs), then verify it.
    Up(UpArgs),
    /// Stop every daemon, in the reverse of the start order (and halt Vagrant VMs, or destroy
    /// them with --destroy).
    Down(DownArgs),
    /// Show each daemon up or down with what matters about it; exit 0 only when all is healthy.
    Status(StatusArgs),
    /// Prove the platform works end to end: health, HDFS with its replication, a pipeline
    /// cycle counted at every stage, (--failover) the NameNode failover drill with a cycle in
    /// flight, and ZooKeeper keeping its quorum with a server stopped.
    Verify(VerifyArgs),
    /// Collect the best 100 of every category for an hour and land the CSV.
    Crawl(CrawlArgs),
    /// The data mart.
    #[command(subcommand)]
    Mart(MartCommand),
    /// The hourly pipeline: crawl, land, load, record.
    #[command(subcommand)]
    Pipeline(PipelineCommand),
    /// List the pipeline's runs from the ledger, newest first.
    Runs(RunsArgs),
    /// Run one of the cluster's own clients with its configuration: `hdfs dfs -ls /`,
    /// `hdfs haadmin -getAllServiceState`, `yarn node -list`, `mapred job -list`, `zkCli ls /`,
    /// `hive -e 'SHOW DATABASES'`, `psql -c '...'` (the mart's password never on a command line).
    Client(ClientArgs),
    /// Print the exports that put the cluster's clients on a shell's PATH (and, on the local
    /// topology, JAVA_HOME, HADOOP_HOME and HADOOP_CONF_DIR): `eval "$(provision env -i ...)"`.
    Env(EnvArgs),
}

/// Where pages come from.
#[derive(Debug, clap::Args)]
pub struct SourceArgs {
    /// Replace the scheme, host and port of every category URL (e.g. a local copy of the site).
    #[arg(long)]
    pub source: Option<String>,
    /// The collection hour, YYYY-MM-DDTHH [default: the current hour].
    #[arg(long)]
    pub at: Option<String>,
}

/// Arguments of `provision crawl`.
#[derive(Debug, clap::Args)]
pub struct CrawlArgs {
    /// The inventory: its categories, and its HDFS unless --out is given.
    #[arg(long, short, default_value = "inventory/cluster.toml")]
    pub inventory: PathBuf,
    /// Where pages come from and for which hour.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Land below this local folder instead of HDFS.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `provision mart ...`.
#[derive(Debug, Subcommand)]
pub enum MartCommand {
    /// List the marts: the built-in ones and those of --marts.
    List(MartListArgs),
    /// Run a mart's query on HiveServer2 over a range of hours and load the result into its
    /// PostgreSQL table, replacing what the range held, in one transaction.
    Load(MartRangeArgs),
    /// Run a mart's query over a range of hours and write the result as CSV.
    Export(MartExportArgs),
}

/// Arguments of `provision mart list`.
#[derive(Debug, clap::Args)]
pub struct MartListArgs {
    /// A folder of mart files (NAME.toml) that add to and override the built-in marts.
    #[arg(long, env = "PROVISION_MARTS")]
    pub marts: Option<PathBuf>,
    /// Print them as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A mart and a range of hours.
#[derive(Debug, clap::Args)]
pub struct MartRangeArgs {
    /// The inventory file.
    #[arg(long, short, default_value = "inventory/cluster.toml")]
    pub inventory: PathBuf,
    /// The mart, e.g. dm_gmarket.
    pub name: String,
    /// The first hour, YYYY-MM-DDTHH.
    #[arg(long)]
    pub from: String,
    /// The last hour, YYYY-MM-DDTHH [default: the first].
    #[arg(long)]
    pub to: Option<String>,
    /// A folder of mart files (NAME.toml) that add to and override the built-in marts.
    #[arg(long, env = "PROVISION_MARTS")]
    pub marts: Option<PathBuf>,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `provision mart export`.
#[derive(Debug, clap::Args)]
pub struct MartExportArgs {
    /// The mart and the hours.
    #[command(flatten)]
    pub range: MartRangeArgs,
    /// The CSV file to write (replaced once complete).
    #[arg(long)]
    pub csv: PathBuf,
}

/// `provision pipeline ...`.
#[derive(Debug, Subcommand)]
pub enum PipelineCommand {
    /// Crawl, land, make queryable in Hive and load dm_gmarket for one hour, and record the
    /// run in the ledger; with a NiFi host, crawl and hand the hour to NiFi's flow for the rest,
    /// and wait for its run.
    Run(PipelineRunArgs),
    /// Land, make queryable in Hive and load dm_gmarket for one hour crawled elsewhere, its CSV
    /// on standard input (what NiFi's flow runs for each hour it receives), and record the run.
    Accept(PipelineAcceptArgs),
}

/// Arguments of `provision pipeline accept`.
#[derive(Debug, clap::Args)]
pub struct PipelineAcceptArgs {
    /// The inventory file.
    #[arg(long, short, default_value = "inventory/cluster.toml")]
    pub inventory: PathBuf,
    /// The collection hour of the CSV, YYYY-MM-DDTHH.
    #[arg(long)]
    pub at: String,
    /// Seconds the crawl took where it ran, for the ledger.
    #[arg(long, default_value_t = 0.0)]
    pub crawl_seconds: f64,
    /// When the hour was handed over, in milliseconds since the epoch, for the ledger's `hand`
    /// stage; empty or absent when unknown.
    #[arg(long, default_value = "")]
    pub handed_at: String,
}

/// Arguments of `provision pipeline run`.
#[derive(Debug, clap::Args)]
pub struct PipelineRunArgs {
    /// The inventory file.
    #[arg(long, short, default_value = "inventory/cluster.toml")]
    pub inventory: PathBuf,
    /// Where pages come from and for which hour.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Keep running: once per period (e.g. 1h, 30m), and at once for a current hour with no
    /// successful run.
    #[arg(long)]
    pub every: Option<String>,
    /// Run every stage here, even when the inventory has a NiFi host (whose flow otherwise
    /// takes the crawled hour from landing to mart).
    #[arg(long)]
    pub direct: bool,
}

/// Arguments of `provision runs`.
#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    /// The inventory file.
    #[arg(long, short, default_value = "inventory/cluster.toml")]
    pub inventory: PathBuf,
    /// How many runs.
    #[arg(long, default_value_t = 24)]
    pub limit: i64,
    /// Print them as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `provision client`.
#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    /// The inventory file.
    #[arg(long, short, default_value = "inventory/cluster.toml")]
    pub inventory: PathBuf,
    /// The client.
    #[arg(value_enum)]
    pub tool: provision::client::Tool,
    /// Its arguments, as the tool itself takes them.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// Arguments of `provision env`.
#[derive(Debug, clap::Args)]
pub struct EnvArgs {
    /// The inventory file.
    #[arg(long, short, default_value = "inventory/cluster.toml")]
    pub inventory: PathBuf,
    /// Print the variables as JSON instead of shell exports.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `provision status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The inventory file.
    #[arg(long, short, default_value = "inventory/cluster.toml")]
    pub inventory: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `provision verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The inventory file.
    #[arg(long, short, default_value = "inventory/cluster.toml")]
    pub inventory: PathBuf,
    /// Also kill -9 the active NameNode while a client writes and a pipeline cycle is in
    /// flight, and time the failover.
    #[arg(long)]
    pub failover: bool,
    /// Crawl Gmarket itself for the current hour, instead of the sample site provision serves
    /// on loopback from its recorded pages (into a reserved hour, removed afterwards).
    #[arg(long)]
    pub live: bool,
    /// With --live: replace the scheme, host and port of every category URL.
    #[arg(long, requires = "live")]
    pub source: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `provision plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The inventory and how to reach its hosts.
    #[command(flatten)]
    pub hosts: HostsArgs,
    /// The phases to show.
    #[command(flatten)]
    pub phases: PhasesArgs,
    /// The `provision` executable `up` would send to the crawler host of remote hosts
    /// [default: this one], compared with the one there.
    #[arg(long, env = "PROVISION_CRAWLER_BINARY")]
    pub crawler_binary: Option<PathBuf>,
}

/// Arguments of `provision up`.
#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// The inventory and how to reach its hosts.
    #[command(flatten)]
    pub hosts: HostsArgs,
    /// The phases to run.
    #[command(flatten)]
    pub phases: PhasesArgs,
    /// Print every step of every phase and host, in order, and touch nothing (no host, no VM).
    #[arg(long)]
    pub dry_run: bool,
    /// Run the phases one after another, in the order `--dry-run` lists them, instead of each
    /// as soon as the phases it comes after are done: slower, with the progress and the logs in
    /// that order.
    #[arg(long)]
    pub one_phase_at_a_time: bool,
    /// The `provision` executable the crawler host of remote hosts gets [default: this one];
    /// for CentOS 7 the portable build (see README).
    #[arg(long, env = "PROVISION_CRAWLER_BINARY")]
    pub crawler_binary: Option<PathBuf>,
    /// Do not end with `provision verify` (it runs only after a complete `up`, not with --only).
    #[arg(long)]
    pub no_verify: bool,
    /// Make new values for secrets missing from `<state_dir>/secrets.toml` although the
    /// cluster was already rendered or deployed (without it that is refused): the databases
    /// and NiFi's stored flow do not know the new values.
    #[arg(long)]
    pub regenerate_secrets: bool,
}

/// Arguments of `provision down`.
#[derive(Debug, clap::Args)]
pub struct DownArgs {
    /// The inventory and how to reach its hosts.
    #[command(flatten)]
    pub hosts: HostsArgs,
    /// The phases to run.
    #[command(flatten)]
    pub phases: PhasesArgs,
    /// Print every step that would stop, remove, halt or destroy, in order, and touch nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also remove what provision made on this machine: every host's folder and the state
    /// folder's files (the local topology only; folders without provision's marker are refused).
    #[arg(long)]
    pub purge: bool,
    /// Destroy the Vagrant VMs (`vagrant destroy`) instead of stopping the daemons and halting
    /// them.
    #[arg(long)]
    pub destroy: bool,
}

/// The inventory and how to reach its hosts: shared by the verbs that connect to hosts.
#[derive(Debug, clap::Args)]
pub struct HostsArgs {
    /// The inventory file.
    #[arg(long, short, default_value = "inventory/cluster.toml")]
    pub inventory: PathBuf,
    /// How many hosts to work on at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallel: u16,
    /// Record the host key of a host that known_hosts does not list yet (a changed key is always refused).
    #[arg(long)]
    pub accept_new_host_keys: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Which phases a verb runs.
#[derive(Debug, clap::Args)]
pub struct PhasesArgs {
    /// Only these phases (comma-separated names, e.g. `configure` to push changed files).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
}

/// Arguments of `provision fetch`.
#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// The inventory file.
    #[arg(long, short, default_value = "inventory/cluster.toml")]
    pub inventory: PathBuf,
    /// Print what is cached where as JSON.
    #[arg(long)]
    pub json: bool,
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
    /// Make new values for secrets missing from `<state_dir>/secrets.toml` although the
    /// cluster was already rendered or deployed (without it that is refused): the databases
    /// and NiFi's stored flow do not know the new values.
    #[arg(long)]
    pub regenerate_secrets: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}
