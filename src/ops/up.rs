//! `up`: the platform brought to its rendered state, phase by phase; and its dry run.

use std::path::PathBuf;

use anyhow::Context as _;

use super::plan::prepares;
use super::software::{crawler_binary, software};
use super::{Context, Events, Reach, SecretsPolicy, run, select};
use crate::artifacts;
use crate::desired::{self, Tree};
use crate::engine::runner::{self, Mode, Phase, Report};
use crate::machines::{image, network, proxy};
use crate::model::{Provider, Role, Transport};
use crate::nifi::{self, NifiError, deploy::Deployed, flow};
use crate::plan;
use crate::secrets::Secrets;
use crate::vagrant;

/// What to bring up.
pub struct UpOptions {
    /// How the hosts are reached.
    pub reach: Reach,
    /// Only these phases; every phase when empty.
    pub only: Vec<String>,
    /// Each phase after the one before it, rather than as soon as what it comes after is done.
    pub one_phase_at_a_time: bool,
    /// The `provision` binary the crawler host gets, instead of this one.
    pub crawler_binary: Option<PathBuf>,
    /// Generate secrets anew even though they were used.
    pub regenerate_secrets: bool,
}

/// What `up` did.
pub struct Up {
    /// Every step and what came of it.
    pub report: Report,
    /// The secrets the hosts now hold, for the verification that follows.
    pub secrets: Secrets,
    /// Whether every phase ran (no `--only`), so that a verification proves the whole.
    pub whole: bool,
    /// What deploying the pipeline's flow on NiFi did, when the inventory has NiFi and every
    /// phase ran and succeeded.
    pub flow: Option<Result<Deployed, NifiError>>,
}

/// The phases `up` would run, touching nothing: no VM, no download, no secret written.
pub fn dry_run(ctx: &Context, o: &UpOptions) -> anyhow::Result<Vec<Phase>> {
    let c = &ctx.cluster;
    let obtained =
        ctx.secrets(SecretsPolicy::Obtain { render: None, regenerate: o.regenerate_secrets, save: false })?;
    let tree = desired::render(c, &obtained.secrets);
    let artifacts = artifacts::needed(c, &artifacts::cache_dir());
    let binary = crawler_binary(c, o.crawler_binary.as_ref(), false)?;
    Ok(order(select(plan::up(c, &tree, &artifacts, binary.as_ref()), &o.only)?, o))
}

/// `phases` as `o` wants them ordered.
fn order(phases: Vec<Phase>, o: &UpOptions) -> Vec<Phase> {
    if o.one_phase_at_a_time { runner::in_order(phases) } else { phases }
}

/// Brings the platform up: secrets kept, the VMs of a Vagrant inventory up, the software
/// fetched, then every phase.
pub fn up(ctx: &Context, o: &UpOptions, events: &dyn Events) -> anyhow::Result<Up> {
    let c = &ctx.cluster;
    let only = &o.only;
    let obtained = ctx.secrets(SecretsPolicy::Obtain { render: None, regenerate: o.regenerate_secrets, save: true })?;
    let tree = desired::render(c, &obtained.secrets);
    // Checked first, when it is to be sent: a crawler binary that cannot run there is refused
    // before VMs or downloads.
    let binary = crawler_binary(c, o.crawler_binary.as_ref(), prepares(only))?;
    vagrant_up(ctx, &tree, events)?;
    let artifacts = software(c, prepares(only), prepares(only), events)?;
    let phases = order(select(plan::up(c, &tree, &artifacts, binary.as_ref()), only)?, o);
    let report = run(ctx, o.reach, &phases, Mode::Apply, "up", events);
    let whole = only.is_empty();
    let flow = match (report.ok() && whole, accept(ctx)?) {
        (true, Some((address, accept))) => {
            events.note(&format!("deploying the pipeline's flow on NiFi at {address}"));
            let api = nifi::api::Api::new(&address);
            Some(super::runtime()?.block_on(nifi::deploy::deploy(&api, &flow::desired(&accept))))
        }
        _ => None,
    };
    Ok(Up { report, secrets: obtained.secrets, whole, flow })
}

/// NiFi's address and how its flow runs provision there, when a host runs NiFi: on one machine
/// this binary with the inventory as given; elsewhere the host's copies of both and its secrets.
fn accept(ctx: &Context) -> anyhow::Result<Option<(String, flow::Accept)>> {
    let c = &ctx.cluster;
    let Some(h) = c.one(Role::Nifi) else { return Ok(None) };
    let parked = format!("{}/parked", c.on_host(h, &c.paths.nifi_data));
    let accept = if c.transport == Transport::Local {
        let exe = std::env::current_exe().context("finding the provision executable")?;
        let inventory = std::fs::canonicalize(&ctx.inventory).context("finding the inventory")?;
        flow::Accept {
            binary: exe.display().to_string(),
            inventory: inventory.display().to_string(),
            state: None,
            hdfs_user: None,
            parked,
        }
    } else {
        flow::Accept {
            binary: c.paths.provision_bin.to_string(),
            inventory: c.inventory_copy(),
            state: Some(c.flow_state_dir(h)),
            // The landing root is the crawler's.
            hdfs_user: Some(c.users.crawler.to_string()),
            parked,
        }
    };
    Ok(c.nifi_address().map(|address| (address, accept)))
}

/// What the lxc machines need on this machine before they start: their host-only network,
/// the package proxy on it (unless the inventory names another), and their box.
fn lxc_surroundings(c: &crate::model::Cluster, box_name: &str, events: &dyn Events) -> anyhow::Result<()> {
    let n = network::of(&c.hosts)?;
    let state = vagrant::dir(c);
    events.note(&format!(
        "host-only network {} on bridge {} (this machine {}; nothing is routed beyond it)",
        n.cidr(),
        n.bridge,
        n.address
    ));
    network::ensure(&n, &state)?;
    let ours = proxy::url(n.address);
    if c.package_proxy.as_deref() == Some(ours.as_str()) {
        events.note(&format!("package proxy apt-cacher-ng at {ours}"));
        proxy::ensure(n.address, &artifacts::cache_dir().join("apt-cacher-ng"), &state)?;
    }
    image::ensure(box_name, &artifacts::cache_dir().join("boxes"), &mut |line| events.note(line))?;
    Ok(())
}

/// Creates or starts the VMs of a Vagrant inventory from the rendered Vagrantfile, showing
/// Vagrant's progress; nothing for other transports.
fn vagrant_up(ctx: &Context, tree: &Tree, events: &dyn Events) -> anyhow::Result<()> {
    let c = &ctx.cluster;
    if !matches!(c.transport, Transport::Vagrant { .. }) {
        return Ok(());
    }
    if let Transport::Vagrant { provider: Provider::Lxc, box_name } = &c.transport {
        lxc_surroundings(c, box_name, events)?;
    }
    let file = tree.files.values().find(|f| f.host.is_none() && f.path == desired::vagrant::VAGRANTFILE);
    let text = &file.context("no Vagrantfile was rendered")?.content;
    vagrant::write_vagrantfile(c, text)?;
    events.note(&format!(
        "vagrant up in {} (the first run downloads the box and creates the VMs)",
        vagrant::dir(c).display()
    ));
    let endpoints = vagrant::up(c, &mut |line| events.note(&format!("[vagrant] {line}")))?;
    events.note(&format!("{} VMs up; their SSH endpoints are recorded", endpoints.len()));
    Ok(())
}
