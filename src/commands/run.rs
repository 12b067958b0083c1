//! `provision plan`, `up` and `down`: inventory -> rendered files -> phases -> the runner,
//! reading only (plan) or acting (up, down).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::artifacts::{self, Artifact};
use crate::cli::{DownArgs, FetchArgs, HostsArgs, PlanArgs, UpArgs};
use crate::desired;
use crate::engine::runner::{self, Mode, Options, Phase, Report};
use crate::engine::transport;
use crate::inventory;
use crate::model::{Cluster, Transport};
use crate::plan;
use crate::state;
use crate::ui;
use crate::vagrant;

/// The folder of one run's logs: `<state_dir>/runs/<time>-<verb>`.
fn log_dir(c: &Cluster, verb: &str) -> PathBuf {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    c.state_dir.join("runs").join(format!("{stamp}-{verb}"))
}

/// Creates or starts the VMs of a Vagrant inventory from the rendered Vagrantfile, showing
/// Vagrant's progress; nothing for other transports.
fn vagrant_up(c: &Cluster, tree: &desired::Tree) -> anyhow::Result<()> {
    if !matches!(c.transport, Transport::Vagrant { .. }) {
        return Ok(());
    }
    let file = tree.files.values().find(|f| f.host.is_none() && f.path == desired::vagrant::VAGRANTFILE);
    let text = &file.context("no Vagrantfile was rendered")?.content;
    vagrant::write_vagrantfile(c, text)?;
    ui::note(&format!(
        "vagrant up in {} (the first run downloads the box and creates the VMs)",
        vagrant::dir(c).display()
    ));
    let endpoints = vagrant::up(c, &mut |line| ui::note(&format!("[vagrant] {line}")))?;
    ui::note(&format!("{} VMs up; their SSH endpoints are recorded", endpoints.len()));
    Ok(())
}

/// The software the hosts run: fetched into the cache when `fetch` (else only what is cached
/// is used), and when `pack` packed for hosts other than this machine.
fn artifacts(c: &Cluster, fetch: bool, pack: bool) -> anyhow::Result<Vec<Artifact>> {
    let mut needed = artifacts::needed(c, &artifacts::cache_dir());
    for a in &mut needed {
        let mut cached = a.is_cached();
        if fetch && !cached {
            ui::note(&format!("fetching {} {} from {} into {} (once)", a.name, a.version, a.origin(), a.dir.display()));
            let bar = ui::download_bar(&format!("{} {}", a.name, a.version));
            let done = a.fetch(&mut |got, total| bar.show(got, total));
            bar.finish();
            done?;
            cached = true;
        }
        if pack && c.transport != Transport::Local && cached {
            a.pack()?;
        }
    }
    Ok(needed)
}

/// The `provision` executable the crawler host gets when the hosts are not this machine:
/// `--crawler-binary`, else this one. With `check`, one that needs a newer glibc than the
/// crawler host's OS ships is refused before anything is done.
fn binary(c: &Cluster, crawler_binary: Option<&PathBuf>, check: bool) -> anyhow::Result<Option<artifacts::Archive>> {
    if c.transport == Transport::Local {
        return Ok(None);
    }
    let exe = match crawler_binary {
        Some(p) => p.clone(),
        None => std::env::current_exe().context("finding the provision executable")?,
    };
    if let (true, Some(crawler)) = (check, c.one(crate::model::Role::Crawler)) {
        let have = c.os.glibc();
        if let Some(need) = artifacts::glibc::newest_needed(&exe)?.filter(|need| *need > have) {
            anyhow::bail!(
                "{} needs glibc {}.{}, but the crawler host {} runs {} (glibc {}.{}), where its hourly run could not start\nhint: build the portable binary (cargo zigbuild --release --target x86_64-unknown-linux-gnu.2.17 --features portable) and pass it with --crawler-binary",
                exe.display(),
                need.0,
                need.1,
                crawler.name,
                c.os.name(),
                have.0,
                have.1
            );
        }
    }
    Ok(Some(artifacts::Archive::of(&exe)?))
}

/// Whether the selected phases include `prepare`, the one that needs the software.
fn prepares(only: &[String]) -> bool {
    only.is_empty() || only.iter().any(|p| p == "prepare")
}

/// The phases `--only` names, in their order; every phase when it names none.
fn select(phases: Vec<Phase>, only: &[String]) -> anyhow::Result<Vec<Phase>> {
    if only.is_empty() {
        return Ok(phases);
    }
    let known: Vec<&str> = phases.iter().map(|p| p.name.as_str()).collect();
    if let Some(unknown) = only.iter().find(|o| !known.contains(&o.as_str())) {
        anyhow::bail!("there is no phase `{unknown}`\nhint: the phases are {}", known.join(", "));
    }
    Ok(phases.into_iter().filter(|p| only.contains(&p.name)).collect())
}

fn run(c: &Cluster, args: &HostsArgs, phases: &[Phase], mode: Mode, verb: &str) -> Report {
    // The run's log goes into the state folder; like the log, a folder that cannot be made
    // does not stop the run.
    let _ = crate::state::create(&c.state_dir);
    let opts = Options { parallel: usize::from(args.parallel), log_dir: log_dir(c, verb), mode };
    let connect = |host: &str| transport::open(c, host, args.accept_new_host_keys);
    let progress = ui::Progress::new();
    let report = runner::run(phases, &connect, &opts, &progress);
    progress.finish();
    report
}

fn exit(report: &Report) -> ExitCode {
    if report.ok() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// Runs `provision fetch`: the software of the inventory made ready in the cache.
pub fn fetch(args: &FetchArgs) -> anyhow::Result<ExitCode> {
    let cluster = inventory::load(&args.inventory)?;
    let ready = artifacts(&cluster, true, true)?;
    ui::fetched(&ready, args.json);
    Ok(ExitCode::SUCCESS)
}

/// Runs `provision plan`: what `up` would change, changing nothing.
pub fn plan(plan: &PlanArgs) -> anyhow::Result<ExitCode> {
    let (args, only) = (&plan.hosts, &plan.phases.only);
    let cluster = inventory::load(&args.inventory)?;
    let (secrets, _) = super::secrets(&cluster, None, false, false)?;
    let tree = desired::render(&cluster, &secrets);
    let artifacts = artifacts(&cluster, false, prepares(only))?;
    for a in artifacts.iter().filter(|a| !a.is_cached()) {
        ui::note(&format!("up would fetch {} {} into {}", a.name, a.version, a.dir.display()));
    }
    let report = run(
        &cluster,
        args,
        &select(
            plan::up(
                &cluster,
                &tree,
                &artifacts,
                binary(&cluster, plan.crawler_binary.as_ref(), prepares(only))?.as_ref(),
            ),
            only,
        )?,
        Mode::Probe,
        "plan",
    );
    ui::plan_report(&report, &secret_steps(&cluster, &tree), args.json);
    Ok(exit(&report))
}

/// The file steps that put files holding secrets on the hosts, as `(host, step)`.
fn secret_steps(c: &Cluster, tree: &desired::Tree) -> BTreeSet<(String, String)> {
    tree.files
        .values()
        .filter(|f| f.is_secret())
        .filter_map(|f| {
            let host = c.host(f.host.as_deref()?)?;
            Some((host.name.clone(), format!("file {}", c.on_host(host, &f.path))))
        })
        .collect()
}

/// Prints what `up` would do, step by step, touching nothing.
fn up_dry_run(up: &UpArgs) -> anyhow::Result<ExitCode> {
    let cluster = inventory::load(&up.hosts.inventory)?;
    let (secrets, _) = super::secrets(&cluster, None, up.regenerate_secrets, false)?;
    let tree = desired::render(&cluster, &secrets);
    let artifacts = artifacts::needed(&cluster, &artifacts::cache_dir());
    let binary = binary(&cluster, up.crawler_binary.as_ref(), false)?;
    let phases = select(plan::up(&cluster, &tree, &artifacts, binary.as_ref()), &up.phases.only)?;
    ui::dry_run(&phases, &[], up.hosts.json);
    Ok(ExitCode::SUCCESS)
}

/// Runs `provision up`, then `verify` unless told not to.
pub fn up(up: &UpArgs) -> anyhow::Result<ExitCode> {
    if up.dry_run {
        return up_dry_run(up);
    }
    let (args, only) = (&up.hosts, &up.phases.only);
    let cluster = inventory::load(&args.inventory)?;
    let (secrets, _) = super::secrets(&cluster, None, up.regenerate_secrets, true)?;
    let tree = desired::render(&cluster, &secrets);
    // Checked first, when it is to be sent: a crawler binary that cannot run there is refused
    // before VMs or downloads.
    let binary = binary(&cluster, up.crawler_binary.as_ref(), prepares(only))?;
    vagrant_up(&cluster, &tree)?;
    let artifacts = artifacts(&cluster, prepares(only), prepares(only))?;
    let phases = select(plan::up(&cluster, &tree, &artifacts, binary.as_ref()), only)?;
    let report = run(&cluster, args, &phases, Mode::Apply, "up");
    ui::up_report(&report, args.json);
    if !report.ok() || up.no_verify || !only.is_empty() {
        return Ok(exit(&report));
    }
    ui::note("verifying the platform (provision verify; --no-verify skips this)");
    let verified = super::status::run_verify(&cluster, &secrets, &crate::verify::Request::default())?;
    // The up report owns stdout; the verification goes to the terminal's other stream.
    ui::verify_lines(&verified, true);
    Ok(if verified.ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Runs `provision down`: the daemons stopped; on Vagrant VMs then `vagrant halt`, or with
/// `--destroy` the VMs destroyed outright.
pub fn down(args: &DownArgs) -> anyhow::Result<ExitCode> {
    let (hosts, only) = (&args.hosts, &args.phases.only);
    let cluster = inventory::load(&hosts.inventory)?;
    let on_vagrant = matches!(cluster.transport, Transport::Vagrant { .. });
    anyhow::ensure!(
        !args.destroy || on_vagrant,
        "{}: --destroy destroys Vagrant VMs, and this inventory's transport is not vagrant",
        hosts.inventory.display()
    );
    let purge = args.purge && cluster.transport == Transport::Local;
    if args.dry_run {
        let vagrant_dir = vagrant::dir(&cluster).display().to_string();
        let mut after = Vec::new();
        let phases = if args.destroy {
            after.push(format!("vagrant destroy -f in {vagrant_dir}"));
            Vec::new()
        } else {
            if on_vagrant && only.is_empty() {
                after.push(format!("vagrant halt in {vagrant_dir}"));
            }
            if purge {
                after.push(format!("remove provision's files from {}", cluster.state_dir.display()));
            }
            select(plan::down(&cluster, args.purge), only)?
        };
        ui::dry_run(&phases, &after, hosts.json);
        return Ok(ExitCode::SUCCESS);
    }
    if args.destroy {
        vagrant::destroy(&cluster, &mut |line| ui::note(&format!("[vagrant] {line}")))?;
        ui::note("the VMs are destroyed");
        return Ok(ExitCode::SUCCESS);
    }
    if purge {
        // Checked before anything is stopped or removed.
        let inventory = &hosts.inventory;
        state::removable(&cluster.state_dir, inventory)?;
        for h in &cluster.hosts {
            state::removable(&cluster.host_root(h), inventory)?;
        }
    }
    let report = run(&cluster, hosts, &select(plan::down(&cluster, args.purge), only)?, Mode::Apply, "down");
    ui::up_report(&report, hosts.json);
    if report.ok() && on_vagrant && only.is_empty() {
        vagrant::halt(&cluster, &mut |line| ui::note(&format!("[vagrant] {line}")))?;
    }
    if purge && report.ok() {
        // The run's own log lives in the state folder; it goes last.
        let kept = state::purge(&cluster.state_dir)?;
        if kept.is_empty() {
            ui::note(&format!("removed {}", cluster.state_dir.display()));
        } else {
            ui::note(&format!(
                "removed provision's files from {}, which keeps what provision did not make: {}",
                cluster.state_dir.display(),
                kept.join(", ")
            ));
        }
    }
    Ok(exit(&report))
}
