//! `down`: the daemons stopped, in the reverse of their start order; on Vagrant VMs then the
//! VMs halted, or destroyed; on one machine, with `purge`, provision's files removed.

use super::{Context, Events, Reach, run, select};
use crate::engine::runner::{Mode, Phase, Report};
use crate::machines::{network, proxy};
use crate::model::{Provider, Transport};
use crate::plan;
use crate::state;
use crate::vagrant;

/// What to take down.
pub struct DownOptions {
    /// How the hosts are reached.
    pub reach: Reach,
    /// Only these phases; every phase when empty.
    pub only: Vec<String>,
    /// Remove every host's state too (one machine only).
    pub purge: bool,
    /// Destroy the Vagrant VMs instead of stopping the daemons.
    pub destroy: bool,
}

/// What `down` did.
pub enum Down {
    /// The daemons were stopped (and what came after, as far as the run succeeded).
    Stopped(Report),
    /// The VMs were destroyed.
    Destroyed,
}

/// What `down` would do, touching nothing: its phases, then what follows them.
pub struct DownPlan {
    /// The phases.
    pub phases: Vec<Phase>,
    /// What follows the phases (`vagrant halt`, the purge), in order.
    pub then: Vec<String>,
}

/// Checks the options against the inventory before anything is done.
fn check(ctx: &Context, o: &DownOptions) -> anyhow::Result<()> {
    anyhow::ensure!(
        !o.destroy || matches!(ctx.cluster.transport, Transport::Vagrant { .. }),
        "{}: --destroy destroys Vagrant VMs, and this inventory's transport is not vagrant",
        ctx.inventory.display()
    );
    Ok(())
}

/// What `down` would do.
pub fn dry_run(ctx: &Context, o: &DownOptions) -> anyhow::Result<DownPlan> {
    check(ctx, o)?;
    let c = &ctx.cluster;
    let vagrant_dir = vagrant::dir(c).display().to_string();
    if o.destroy {
        let mut then = vec![format!("vagrant destroy -f in {vagrant_dir}")];
        if let Transport::Vagrant { provider: Provider::Lxc, .. } = &c.transport {
            let n = network::of(&c.hosts)?;
            then.push(format!(
                "remove the bridge {}, then the fallback route of {}, and stop the package proxy",
                n.bridge,
                n.cidr()
            ));
        }
        return Ok(DownPlan { phases: Vec::new(), then });
    }
    let mut then = Vec::new();
    if matches!(c.transport, Transport::Vagrant { .. }) && o.only.is_empty() {
        then.push(format!("vagrant halt in {vagrant_dir}"));
    }
    if o.purge && c.transport == Transport::Local {
        then.push(format!("remove provision's files from {}", c.state_dir.display()));
    }
    Ok(DownPlan { phases: select(plan::down(c, o.purge), &o.only)?, then })
}

/// Takes the platform down.
pub fn down(ctx: &Context, o: &DownOptions, events: &dyn Events) -> anyhow::Result<Down> {
    check(ctx, o)?;
    let c = &ctx.cluster;
    let vagrant_output = |line: &str| events.note(&format!("[vagrant] {line}"));
    if o.destroy {
        vagrant::destroy(c, &mut |line| vagrant_output(line))?;
        events.note("the VMs are destroyed");
        if let Transport::Vagrant { provider: Provider::Lxc, .. } = &c.transport {
            // No machine is left on the network: it goes, the fallback route last, then the proxy.
            let state = vagrant::dir(c);
            network::remove(&network::of(&c.hosts)?, &state)?;
            proxy::stop(&state)?;
            events.note("the machines' network and package proxy are removed");
        }
        return Ok(Down::Destroyed);
    }
    let purge = o.purge && c.transport == Transport::Local;
    if purge {
        // Checked before anything is stopped or removed.
        state::removable(&c.state_dir, &ctx.inventory)?;
        for h in &c.hosts {
            state::removable(&c.host_root(h), &ctx.inventory)?;
        }
    }
    let report = run(ctx, o.reach, &select(plan::down(c, o.purge), &o.only)?, Mode::Apply, "down", events);
    if report.ok() && matches!(c.transport, Transport::Vagrant { .. }) && o.only.is_empty() {
        vagrant::halt(c, &mut |line| vagrant_output(line))?;
    }
    if purge && report.ok() {
        // The run's own log lives in the state folder; it goes last.
        let kept = state::purge(&c.state_dir)?;
        if kept.is_empty() {
            events.note(&format!("removed {}", c.state_dir.display()));
        } else {
            events.note(&format!(
                "removed provision's files from {}, which keeps what provision did not make: {}",
                c.state_dir.display(),
                kept.join(", ")
            ));
        }
    }
    Ok(Down::Stopped(report))
}
