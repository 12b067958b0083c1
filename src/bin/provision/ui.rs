//! The only place that prints: human text, or JSON with `--json`.

use std::collections::BTreeSet;
use std::path::Path;

use similar::TextDiff;

use provision::desired::Tree;
use provision::desired::tree::Change;
use provision::model::Cluster;
use provision::nifi::NifiError;
use provision::nifi::monitor::FlowStatus;

/// Prints a failure as `error:` with its chain of causes.
pub fn error(e: &anyhow::Error) {
    let mut chain = e.chain();
    if let Some(top) = chain.next() {
        eprintln!("error: {}", top.to_string().trim_end());
    }
    for cause in chain {
        eprintln!("Caused by: {}", cause.to_string().trim_end());
    }
}

fn kind(c: &Change) -> &'static str {
    match c {
        Change::Added(_) => "added",
        Change::Removed { .. } => "removed",
        Change::Changed { .. } => "changed",
    }
}

fn affects(c: &Change) -> Vec<String> {
    match c {
        Change::Added(f) | Change::Changed { file: f, .. } => f.affects.clone(),
        Change::Removed { .. } => Vec::new(),
    }
}

/// The services that the changes restart, sorted.
fn restarts(changes: &[Change]) -> Vec<String> {
    changes.iter().flat_map(affects).collect::<BTreeSet<_>>().into_iter().collect()
}

/// The unified diff of `old` and `new` under the headers `a` and `b`; of a secret file only how
/// many lines differ, whatever either side holds.
fn diff(old: &str, new: &str, secret: bool, a: &str, b: &str) -> String {
    let diff = TextDiff::from_lines(old, new);
    if secret {
        let n = diff.iter_all_changes().filter(|c| c.tag() != similar::ChangeTag::Equal).count();
        return format!("         (secret file, {n} lines differ)\n");
    }
    diff.unified_diff().context_radius(2).header(a, b).to_string()
}

/// Whether a file with permission bits `mode` is one that only its owner may read, as every
/// file holding a secret is.
fn owner_only(mode: u32) -> bool {
    mode & 0o077 == 0
}

/// Prints the result of `render --check`: every differing file with a unified diff (files that
/// hold secrets, rendered or found, only counted) and the services each change affects.
pub fn render_check(out: &Path, tree: &Tree, changes: &[Change], json: bool) {
    if json {
        let files: Vec<serde_json::Value> = changes
            .iter()
            .map(|c| serde_json::json!({"path": c.rel(), "change": kind(c), "restarts": affects(c)}))
            .collect();
        let doc = serde_json::json!({
            "folder": out.display().to_string(),
            "files": tree.files.len(),
            "up_to_date": changes.is_empty(),
            "changes": files,
            "restarts": restarts(changes),
        });
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
        return;
    }
    if changes.is_empty() {
        println!("{} is up to date ({} files)", out.display(), tree.files.len());
        return;
    }
    for c in changes {
        let services = affects(c);
        let note = if services.is_empty() { String::new() } else { format!(" (restarts {})", services.join(", ")) };
        println!("{:<8} {}{note}", kind(c), c.rel());
        let (old, new, secret) = match c {
            Change::Added(f) => ("", &*f.content, f.is_secret()),
            Change::Removed { old, old_mode, .. } => (old.as_str(), "", owner_only(*old_mode)),
            Change::Changed { file, old, old_mode } => {
                if *old_mode != file.mode {
                    println!("         mode {:o} -> {:o}", old_mode, file.mode);
                }
                (old.as_str(), &*file.content, file.is_secret() || owner_only(*old_mode))
            }
        };
        let rel = c.rel();
        print!("{}", diff(old, new, secret, &format!("a/{rel}"), &format!("b/{rel}")));
    }
    println!(
        "{} of {} files differ from {}; services affected: {}",
        changes.len(),
        tree.files.len(),
        out.display(),
        if restarts(changes).is_empty() { "none".to_string() } else { restarts(changes).join(", ") }
    );
}

/// Prints the result of `render`.
pub fn render_done(
    out: &Path,
    cluster: &Cluster,
    tree: &Tree,
    changes: &[Change],
    new_secrets: Option<&Path>,
    json: bool,
) {
    if json {
        let doc = serde_json::json!({
            "folder": out.display().to_string(),
            "cluster": cluster.name,
            "hosts": cluster.hosts.len(),
            "files": tree.files.len(),
            "changed": changes.iter().map(Change::rel).collect::<Vec<_>>(),
            "secrets_generated": new_secrets.map(|p| p.display().to_string()),
        });
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
        return;
    }
    if let Some(p) = new_secrets {
        eprintln!("generated the cluster's passwords and keys into {} (mode 0600); keep that file", p.display());
    }
    if changes.is_empty() {
        println!(
            "{} is up to date: {} files for {} hosts of cluster {}",
            out.display(),
            tree.files.len(),
            cluster.hosts.len(),
            cluster.name
        );
    } else {
        println!(
            "rendered {} files for {} hosts of cluster {} into {} ({} changed)",
            tree.files.len(),
            cluster.hosts.len(),
            cluster.name,
            out.display(),
            changes.len()
        );
    }
}

/// Draws a run's progress: a bar per host and one for the whole on a terminal, plain lines
/// for what changed or failed otherwise.
pub struct Progress {
    bars: Option<indicatif::MultiProgress>,
    state: std::sync::Mutex<ProgressState>,
}

/// The bars of the phases under way: each phase's hosts and its whole.
#[derive(Default)]
struct ProgressState {
    phases: std::collections::BTreeMap<String, PhaseBars>,
}

/// One phase's bars.
struct PhaseBars {
    hosts: std::collections::BTreeMap<String, indicatif::ProgressBar>,
    total: indicatif::ProgressBar,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    /// Progress for a run; bars only when stderr is a terminal.
    pub fn new() -> Self {
        use std::io::IsTerminal;
        let bars = std::io::stderr().is_terminal().then(indicatif::MultiProgress::new);
        Progress { bars, state: std::sync::Mutex::new(ProgressState::default()) }
    }

    /// Clears the bars.
    pub fn finish(&self) {
        if let Some(m) = &self.bars {
            let _ = m.clear();
        }
    }
}

impl provision::engine::runner::Observer for Progress {
    fn phase_started(&self, phase: &str, steps: &std::collections::BTreeMap<String, usize>) {
        let Some(m) = &self.bars else {
            eprintln!("[{phase}] {} hosts, {} steps", steps.len(), steps.values().sum::<usize>());
            return;
        };
        let style = indicatif::ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} {wide_msg}")
            .expect("template")
            .progress_chars("=> ");
        let total = m.add(
            indicatif::ProgressBar::new(steps.values().sum::<usize>() as u64)
                .with_style(style.clone())
                .with_prefix(format!("[{phase}]")),
        );
        let mut hosts = std::collections::BTreeMap::new();
        let mut last = total.clone();
        for (host, n) in steps {
            let bar = indicatif::ProgressBar::new(*n as u64).with_style(style.clone()).with_prefix(host.clone());
            last = m.insert_after(&last, bar);
            hosts.insert(host.clone(), last.clone());
        }
        self.state.lock().expect("progress").phases.insert(phase.to_string(), PhaseBars { hosts, total });
    }

    fn step_done(&self, o: &provision::engine::runner::Outcome) {
        use provision::engine::runner::Status;
        let st = self.state.lock().expect("progress");
        let bars = st.phases.get(&o.phase).and_then(|p| Some((p.hosts.get(&o.host)?, &p.total)));
        match (&self.bars, bars) {
            (Some(_), Some((bar, total))) => {
                bar.inc(1);
                bar.set_message(o.step.clone());
                total.inc(1);
                if let Status::Failed(m) = &o.status {
                    bar.abandon_with_message(format!("FAILED: {}", m.lines().next().unwrap_or("")));
                }
            }
            _ => match &o.status {
                Status::Changed => eprintln!("[{}] {}: {}: changed", o.phase, o.host, o.step),
                Status::Failed(m) => eprintln!("[{}] {}: {}: FAILED\n{m}", o.phase, o.host, o.step),
                _ => {}
            },
        }
    }

    fn phase_done(&self, phase: &str, ok: bool) {
        let done = self.state.lock().expect("progress").phases.remove(phase);
        match (&self.bars, done) {
            // A phase that went well makes room for the others; a failed one stays in sight.
            (Some(m), Some(p)) if ok => {
                for bar in p.hosts.values() {
                    m.remove(bar);
                }
                p.total.finish_with_message("done");
            }
            (Some(_), Some(p)) => p.total.abandon_with_message("failed"),
            _ => eprintln!("[{phase}] {}", if ok { "done" } else { "failed" }),
        }
    }
}

fn run_json(report: &provision::engine::runner::Report) -> serde_json::Value {
    use provision::engine::runner::Status;
    let hosts: serde_json::Map<String, serde_json::Value> = report
        .per_host()
        .into_iter()
        .map(|(h, (changed, unchanged, failed))| {
            (h, serde_json::json!({"changed": changed, "unchanged": unchanged, "failed": failed}))
        })
        .collect();
    let failures: Vec<serde_json::Value> = report
        .outcomes
        .iter()
        .filter_map(|o| match &o.status {
            Status::Failed(m) => {
                Some(serde_json::json!({"phase": o.phase, "host": o.host, "step": o.step, "error": m}))
            }
            _ => None,
        })
        .collect();
    serde_json::json!({
        "ok": report.ok(),
        "phases_done": report.phases_done,
        "failed_phase": report.failed_phase,
        "hosts": hosts,
        "failures": failures,
        "timings": report.timings,
        "logs": report.log_dir.display().to_string(),
    })
}

fn print_failures(report: &provision::engine::runner::Report) {
    for o in &report.outcomes {
        if let provision::engine::runner::Status::Failed(m) = &o.status {
            eprintln!("error: [{}] {}: {}", o.phase, o.step, m.trim_end());
            eprintln!("  log: {}", report.log_dir.join(format!("{}.log", o.host)).display());
        }
    }
}

/// Prints the summary of `up`.
pub fn up_report(report: &provision::engine::runner::Report, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(&run_json(report)).expect("json"));
        return;
    }
    println!("{:<16} {:>8} {:>10} {:>7}", "host", "changed", "unchanged", "failed");
    let mut totals = (0, 0, 0);
    for (host, (c, u, f)) in report.per_host() {
        println!("{host:<16} {c:>8} {u:>10} {f:>7}");
        totals = (totals.0 + c, totals.1 + u, totals.2 + f);
    }
    println!("{:<16} {:>8} {:>10} {:>7}", "total", totals.0, totals.1, totals.2);
    if !report.timings.is_empty() {
        let wall = report.timings.iter().map(|t| t.ended).fold(0.0, f64::max);
        let mut timings = report.timings.clone();
        timings.sort_by(|a, b| a.started.total_cmp(&b.started));
        let each: Vec<String> =
            timings.iter().map(|t| format!("{} {:.1}-{:.1}s", t.phase, t.started, t.ended)).collect();
        println!("phases ({wall:.1}s, side by side where they can): {}", each.join(", "));
    }
    print_failures(report);
    if let Some(p) = &report.failed_phase {
        eprintln!(
            "stopped after phase `{p}`; fix the cause and run `provision up` again: finished steps are not redone"
        );
    }
    println!("logs: {}", report.log_dir.display());
}

/// Prints what `up` would change: each differing file with a unified diff (of the steps in
/// `secret`, files that hold secrets, as `(host, step)`, only how many lines differ), packages
/// to install, services to start or restart.
pub fn plan_report(report: &provision::engine::runner::Report, secret: &BTreeSet<(String, String)>, json: bool) {
    use provision::engine::runner::Status;
    if json {
        let mut doc = run_json(report);
        let changes: Vec<serde_json::Value> = report
            .outcomes
            .iter()
            .filter_map(|o| match &o.status {
                Status::WouldChange { reason, .. } => {
                    Some(serde_json::json!({"phase": o.phase, "host": o.host, "step": o.step, "reason": reason}))
                }
                _ => None,
            })
            .collect();
        doc["changes"] = serde_json::Value::Array(changes);
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
        return;
    }
    let mut n = 0;
    for o in &report.outcomes {
        let Status::WouldChange { reason, old, new } = &o.status else { continue };
        n += 1;
        println!("{}: {} ({reason})", o.host, o.step);
        if let Some(new) = new {
            let label = o.step.trim_start_matches("file ");
            let hidden = secret.contains(&(o.host.clone(), o.step.clone()));
            let (a, b) = (format!("{}:{label} (now)", o.host), format!("{}:{label} (after up)", o.host));
            print!("{}", diff(old.as_deref().unwrap_or(""), new, hidden, &a, &b));
        }
    }
    print_failures(report);
    let unread = report.per_host().values().filter(|(_, _, f)| *f > 0).count();
    if unread > 0 {
        println!(
            "the plan is incomplete: {unread} hosts could not be read ({n} steps would change something on the others)"
        );
    } else if n == 0 {
        println!("nothing to change on {} hosts", report.per_host().len());
    } else {
        println!(
            "{n} steps would change something on {} hosts",
            report.per_host().values().filter(|(c, _, _)| *c > 0).count()
        );
    }
}

/// A line of progress or information for the person running the command, on stderr.
pub fn note(message: &str) {
    eprintln!("{message}");
}

/// Prints every daemon's state, NiFi's flow and UI address when there is NiFi, then the verdict.
pub fn status_report(
    h: &provision::health::Health,
    flow: Option<&Result<FlowStatus, NifiError>>,
    nifi_ui: Option<&str>,
    json: bool,
) {
    if json {
        let doc = serde_json::json!({
            "healthy": h.healthy(),
            "slow": h.slow().count(),
            "checks": h.checks,
            "problems": h.problems,
            "nifi_ui": nifi_ui,
            "nifi_flow": flow.map(|f| match f {
                Ok(f) => serde_json::json!({"running": f.running(), "state": f}),
                Err(e) => serde_json::json!({"running": false, "error": e.to_string()}),
            }),
        });
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
        return;
    }
    println!("{:<14} {:<16} {:<5} detail", "host", "service", "state");
    for k in &h.checks {
        let state = if k.up { k.state().name() } else { "DOWN" };
        println!("{:<14} {:<16} {state:<5} {}", k.host, k.service, k.described());
    }
    if let Some(slow) = h.slow_summary() {
        println!("slow: {slow}");
    }
    match flow {
        Some(Ok(f)) if !f.deployed => println!("NiFi's flow: not deployed (provision up deploys it)"),
        Some(Ok(f)) => {
            let state = if f.running() { "running" } else { "NOT RUNNING" };
            println!(
                "NiFi's flow: {state}: {} running, {} stopped, {} invalid; {} queued",
                f.running, f.stopped, f.invalid, f.queued
            );
            for b in &f.errors {
                println!("  error {} {}: {}", b.timestamp, b.source, b.message);
            }
        }
        Some(Err(e)) => println!("NiFi's flow: unknown: {e}"),
        None => {}
    }
    if let Some(url) = nifi_ui {
        println!("NiFi's UI: {url}");
    }
    if h.healthy() {
        println!("healthy: {} daemons up", h.checks.len());
    } else {
        for p in &h.problems {
            println!("problem: {p}");
        }
    }
}

/// Prints each verification check with its figure, the first failure in full, and where the
/// report file is; on stderr when `to_stderr`.
pub fn verify_lines(r: &provision::verify::Report, to_stderr: bool) {
    let mut out = String::new();
    for k in &r.checks {
        if k.ok {
            out.push_str(&format!("ok    {:<10} {} ({:.1}s)\n", k.name, k.figure, k.seconds));
        } else {
            out.push_str(&format!("FAIL  {:<10} ({:.1}s)\n", k.name, k.seconds));
        }
    }
    for name in &r.skipped {
        out.push_str(&format!("skip  {name:<10} (an earlier check failed)\n"));
    }
    if let Some(e) = r.failure() {
        out.push_str(&format!("error: {e}\n"));
    }
    out.push_str(&format!("{}\n", if r.ok() { "verified: every check passed" } else { "not verified" }));
    if let Some(f) = &r.file {
        out.push_str(&format!("report: {}\n", f.display()));
    }
    if to_stderr {
        eprint!("{out}");
    } else {
        print!("{out}");
    }
}

/// Prints the verification as JSON.
pub fn verify_json(r: &provision::verify::Report) {
    let mut doc = serde_json::to_value(r).expect("json");
    doc["ok"] = serde_json::Value::Bool(r.ok());
    println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
}

/// Prints how one pipeline run went.
pub fn pipeline_run(run: &provision::pipeline::ledger::Run, unrecorded: Option<&String>) {
    let rows: usize = run.rows.values().sum();
    let stages: Vec<String> = run.stages.iter().map(|(k, v)| format!("{k} {v:.2}s")).collect();
    println!("{} {}: {rows} rows of {} categories ({})", run.hour, run.status, run.rows.len(), stages.join(", "));
    if let Some(e) = &run.error {
        eprintln!("error: {e}");
    }
    if let Some(e) = unrecorded {
        eprintln!("error: the run could not be recorded: {e}");
    }
}

/// Prints the ledger's runs.
pub fn runs(runs: &[provision::pipeline::ledger::Run], json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(runs).expect("json"));
        return;
    }
    println!("{:<14} {:<10} {:>5} {:<20} {:<16} stages / error", "hour", "status", "rows", "started", "ran on");
    for r in runs {
        let rows: usize = r.rows.values().sum();
        let detail = match &r.error {
            Some(e) => e.lines().next().unwrap_or("").to_string(),
            None => r.stages.iter().map(|(k, v)| format!("{k} {v:.2}s")).collect::<Vec<_>>().join(", "),
        };
        println!(
            "{:<14} {:<10} {:>5} {:<20} {:<16} {detail}",
            r.hour,
            r.status,
            rows,
            r.started_at.format("%Y-%m-%d %H:%M:%S"),
            r.ran_on
        );
    }
}

/// Prints every phase, what it comes after and every step of each host, then what follows the
/// phases: what `up` or `down` would do.
pub fn dry_run(phases: &[provision::engine::runner::Phase], then: &[String], json: bool) {
    if json {
        let mut doc: Vec<serde_json::Value> = phases
            .iter()
            .map(|p| {
                let hosts: serde_json::Map<String, serde_json::Value> = p
                    .hosts
                    .iter()
                    .map(|(h, steps)| (h.clone(), steps.iter().map(|s| s.describe()).collect::<Vec<_>>().into()))
                    .collect();
                serde_json::json!({"phase": p.name, "after": p.after, "hosts": hosts})
            })
            .collect();
        doc.extend(then.iter().map(|t| serde_json::json!({"then": t})));
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
        return;
    }
    for (i, p) in phases.iter().enumerate() {
        match p.after.as_slice() {
            [] => println!("phase {} {}", i + 1, p.name),
            after => println!("phase {} {} (after {})", i + 1, p.name, after.join(", ")),
        }
        for (host, steps) in &p.hosts {
            println!("  {host}");
            for s in steps {
                println!("    {}", s.describe());
            }
        }
    }
    for t in then {
        println!("then {t}");
    }
}

/// Prints the marts.
pub fn marts(marts: &[provision::marts::Mart], json: bool) {
    if json {
        let doc: Vec<_> = marts
            .iter()
            .map(|m| serde_json::json!({"name": m.name, "description": m.description, "table": m.table, "columns": m.columns}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
        return;
    }
    println!("{:<16} {:<20} description", "mart", "table");
    for m in marts {
        println!("{:<16} {:<20} {}", m.name, m.table, m.description);
    }
}

/// Prints what a mart load or export did; `target` says where the rows went.
pub fn mart_outcome(o: &provision::marts::load::Outcome, target: &str, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(o).expect("json"));
        return;
    }
    println!("{}: {} rows of {} to {} ({} landed hours) {target}", o.mart, o.rows, o.from, o.to, o.hours.len());
}

/// The software `fetch` made ready: each product's version, origin and cache folder (and
/// the packed archive sent to remote hosts).
pub fn fetched(artifacts: &[provision::artifacts::Artifact], json: bool) {
    if json {
        let items: Vec<serde_json::Value> = artifacts
            .iter()
            .map(|a| {
                serde_json::json!({
                    "name": a.name.name(),
                    "version": a.version,
                    "origin": a.origin(),
                    "dir": a.dir,
                    "cached": a.is_cached(),
                    "packed": a.archive.as_ref().map(|x| serde_json::json!({"path": x.path, "sha256": x.sha256, "size": x.size})),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "artifacts": items })).expect("json"));
        return;
    }
    for a in artifacts {
        println!("{:<10} {:<8} {}  (from {})", a.name, a.version, a.dir.display(), a.origin());
    }
}

/// The progress of one download: a bar of bytes on a terminal, else a line every 10%.
pub struct DownloadBar {
    bar: Option<indicatif::ProgressBar>,
    what: String,
    last_tenth: std::cell::Cell<u64>,
}

/// A progress display for downloading `what`.
pub fn download_bar(what: &str) -> DownloadBar {
    use std::io::IsTerminal;
    let bar = std::io::stderr().is_terminal().then(|| {
        indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template(
                "{prefix:>18} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .expect("template")
            .progress_chars("=> "),
        )
    });
    if let Some(b) = &bar {
        b.set_prefix(what.to_string());
    }
    DownloadBar { bar, what: what.to_string(), last_tenth: std::cell::Cell::new(0) }
}

impl DownloadBar {
    /// Shows `got` bytes of `total` (when known).
    pub fn show(&self, got: u64, total: Option<u64>) {
        match (&self.bar, total) {
            (Some(b), _) => {
                if let Some(t) = total {
                    b.set_length(t);
                }
                b.set_position(got);
            }
            (None, Some(t)) if t > 0 => {
                let tenth = got * 10 / t;
                if tenth > self.last_tenth.get() {
                    self.last_tenth.set(tenth);
                    eprintln!("  {}: {}% of {} MiB", self.what, tenth * 10, t >> 20);
                }
            }
            (None, _) => {}
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// The person at the terminal, told what an op is doing: notes on stderr, a bar per download,
/// and a run's progress.
pub struct Terminal {
    progress: std::sync::RwLock<Progress>,
    download: std::sync::Mutex<Option<DownloadBar>>,
}

impl Terminal {
    /// A terminal with nothing shown yet.
    pub fn new() -> Self {
        Terminal { progress: std::sync::RwLock::new(Progress::new()), download: std::sync::Mutex::new(None) }
    }
}

impl provision::engine::runner::Observer for Terminal {
    fn phase_started(&self, phase: &str, steps: &std::collections::BTreeMap<String, usize>) {
        self.progress.read().expect("progress").phase_started(phase, steps);
    }

    fn step_done(&self, o: &provision::engine::runner::Outcome) {
        self.progress.read().expect("progress").step_done(o);
    }

    fn phase_done(&self, phase: &str, ok: bool) {
        self.progress.read().expect("progress").phase_done(phase, ok);
    }
}

impl provision::ops::Events for Terminal {
    fn note(&self, line: &str) {
        note(line);
    }

    fn downloaded(&self, what: &str, got: u64, total: Option<u64>) {
        let mut d = self.download.lock().expect("download");
        d.get_or_insert_with(|| download_bar(what)).show(got, total);
    }

    fn download_ended(&self, _: &str) {
        if let Some(bar) = self.download.lock().expect("download").take() {
            bar.finish();
        }
    }

    fn run_started(&self) {
        *self.progress.write().expect("progress") = Progress::new();
    }

    fn run_ended(&self) {
        self.progress.read().expect("progress").finish();
    }
}
