//! The runner: phases of steps over many hosts. The phases form a graph: each names the
//! phases it comes after, and every phase whose predecessors are done starts at once, on its own
//! thread, so that independent chains (HDFS, YARN, the databases, NiFi) run side by side while
//! each phase is still a barrier for the phases after it. Inside a phase, hosts run in parallel
//! up to a bound. A host's facts for a whole phase are read in one round trip; a step that
//! differs is probed again right before it acts, and once more after. A failure stops that
//! host's phase; the other hosts finish theirs, the phases already running finish, and no phase
//! starts after it. Every command and its result goes to a log file per host.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::engine::steps::{self, Drift, RunState, Step, StepError};
use crate::engine::transport::{Output, Transport, TransportError};

/// Named steps per host, run as one unit: it starts when the phases it comes after are done,
/// and the phases after it wait until it is done on every host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phase {
    /// Its name, e.g. `configure`.
    pub name: String,
    /// The steps of each host, in order.
    pub hosts: BTreeMap<String, Vec<Step>>,
    /// The phases it comes after, by name; each is earlier in the list. None: it may start
    /// with the run.
    pub after: Vec<String>,
}

/// `phases` one after another: each comes after the one before it.
pub fn in_order(mut phases: Vec<Phase>) -> Vec<Phase> {
    for i in 1..phases.len() {
        phases[i].after = vec![phases[i - 1].name.clone()];
    }
    phases
}

/// The phases that `keep` keeps, in their order; a phase that came after a dropped one now
/// comes after what that one came after, so that the order among the kept phases holds.
pub fn retain(phases: Vec<Phase>, keep: impl Fn(&Phase) -> bool) -> Vec<Phase> {
    let mut dropped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut kept = Vec::new();
    for mut p in phases {
        let mut after: Vec<String> = Vec::new();
        for a in &p.after {
            for name in dropped.get(a).cloned().unwrap_or_else(|| vec![a.clone()]) {
                if !after.contains(&name) {
                    after.push(name);
                }
            }
        }
        if keep(&p) {
            p.after = after;
            kept.push(p);
        } else {
            dropped.insert(p.name.clone(), after);
        }
    }
    kept
}

/// Whether the runner acts or only reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Probe, act where needed, confirm.
    Apply,
    /// Probe only: what would change (the plan).
    Probe,
}

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Hosts worked on at once within a phase.
    pub parallel: usize,
    /// The folder of this run's per-host logs.
    pub log_dir: PathBuf,
    /// Act or only read.
    pub mode: Mode,
}

/// What became of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The host already matched.
    Unchanged,
    /// The step acted and the host now matches.
    Changed,
    /// Probe mode: the step would act.
    WouldChange {
        /// What differs.
        reason: String,
        /// The host's current text (text files).
        old: Option<String>,
        /// The wanted text (text files).
        new: Option<String>,
    },
    /// The step failed; the message names host, step, command, exit code and stderr.
    Failed(String),
}

/// One step's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The phase.
    pub phase: String,
    /// The host.
    pub host: String,
    /// The step's description.
    pub step: String,
    /// What became of it.
    pub status: Status,
    /// How long it took.
    pub duration: Duration,
}

/// Everything a run did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every step's result, phase by phase in the order they ended, host by host.
    pub outcomes: Vec<Outcome>,
    /// The phases that ran to the end on every host.
    pub phases_done: Vec<String>,
    /// The first phase that failed; when acting, no phase started after it.
    pub failed_phase: Option<String>,
    /// The folder of the per-host logs.
    pub log_dir: PathBuf,
    /// When each phase that ran started and ended, in the order they ended.
    pub timings: Vec<PhaseTiming>,
}

/// When one phase ran.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PhaseTiming {
    /// The phase.
    pub phase: String,
    /// Seconds from the start of the run to the phase's start.
    pub started: f64,
    /// Seconds the phase took.
    pub seconds: f64,
    /// Seconds from the start of the run to the phase's end.
    pub ended: f64,
}

impl Report {
    /// Whether every step succeeded.
    pub fn ok(&self) -> bool {
        self.failed_phase.is_none() && !self.outcomes.iter().any(|o| matches!(o.status, Status::Failed(_)))
    }

    /// Counts of (changed or would change, unchanged, failed) per host.
    pub fn per_host(&self) -> BTreeMap<String, (usize, usize, usize)> {
        let mut out: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
        for o in &self.outcomes {
            let e = out.entry(o.host.clone()).or_default();
            match o.status {
                Status::Changed | Status::WouldChange { .. } => e.0 += 1,
                Status::Unchanged => e.1 += 1,
                Status::Failed(_) => e.2 += 1,
            }
        }
        out
    }
}

/// Told about progress as it happens; the UI draws it.
pub trait Observer: Sync {
    /// A phase starts with `steps` steps per host.
    fn phase_started(&self, phase: &str, steps: &BTreeMap<String, usize>);
    /// A step finished.
    fn step_done(&self, outcome: &Outcome);
    /// A phase finished (on every host).
    fn phase_done(&self, phase: &str, ok: bool);
}

/// An observer that shows nothing: for runs whose caller reads only the report.
pub struct Quiet;

impl Observer for Quiet {
    fn phase_started(&self, _: &str, _: &BTreeMap<String, usize>) {}
    fn step_done(&self, _: &Outcome) {}
    fn phase_done(&self, _: &str, _: bool) {}
}

/// Opens a connection to a host by name.
pub type Connect<'a> = dyn Fn(&str) -> Result<Box<dyn Transport>, TransportError> + Sync + 'a;

/// A host's log: one file that every connection to the host writes whole records into.
type HostLog = Arc<Mutex<File>>;

/// Appends `record` to `log` in one write, so that the records of phases running at once on
/// the same host do not interleave.
fn append(log: &HostLog, record: &str) {
    if let Ok(mut f) = log.lock() {
        let _ = f.write_all(record.as_bytes());
    }
}

/// A transport that writes every command, its exit code and output to the host's log, each
/// line marked with the phase it ran in.
struct Logged {
    inner: Box<dyn Transport>,
    log: HostLog,
    phase: String,
}

impl Logged {
    fn note(&self, line: &str) {
        append(&self.log, &format!("[{}] {line}\n", self.phase));
    }
}

impl Transport for Logged {
    fn host(&self) -> &str {
        self.inner.host()
    }

    fn exec(
        &mut self,
        command: &str,
        stdin: Option<&mut dyn Read>,
        timeout: Duration,
    ) -> Result<Output, TransportError> {
        let started = Instant::now();
        let result = self.inner.exec(command, stdin, timeout);
        let mut record = format!("[{}] $ {command}\n", self.phase);
        match &result {
            Ok(out) => {
                record.push_str(&format!("  exit {} after {:.2}s\n", out.code, started.elapsed().as_secs_f64()));
                // Stdout may hold a file's contents, secrets included: kept only when it explains a failure.
                let stdout: &[u8] = if out.code == 0 { &[] } else { &out.stdout };
                for (name, bytes) in [("stdout", stdout), ("stderr", out.stderr.as_slice())] {
                    if !bytes.is_empty() {
                        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
                        record.push_str(&format!("  {name}: {}\n", text.trim_end().replace('\n', "\n    ")));
                    }
                }
            }
            Err(e) => record.push_str(&format!("  error: {e}\n")),
        }
        append(&self.log, &record);
        result
    }
}

/// What the run keeps of one host across its phases: its log, the connections no phase is
/// using, and what the run changed there.
#[derive(Default)]
struct HostSlot {
    log: Mutex<Option<HostLog>>,
    idle: Mutex<Vec<Box<dyn Transport>>>,
    state: Mutex<RunState>,
}

/// Where a phase of the run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Waiting,
    Running,
    Done,
    Failed,
}

/// Runs `phases` over their hosts, each as soon as the phases it comes after are done.
pub fn run(phases: &[Phase], connect: &Connect<'_>, opts: &Options, observer: &dyn Observer) -> Report {
    let mut report = Report { log_dir: opts.log_dir.clone(), ..Report::default() };
    let slots: BTreeMap<&str, HostSlot> =
        phases.iter().flat_map(|p| p.hosts.keys()).map(|h| (h.as_str(), HostSlot::default())).collect();
    let _ = std::fs::create_dir_all(&opts.log_dir);
    // Each phase's predecessors, as indices of earlier phases.
    let before: Vec<Vec<usize>> = phases
        .iter()
        .enumerate()
        .map(|(i, p)| p.after.iter().filter_map(|a| phases[..i].iter().position(|q| &q.name == a)).collect())
        .collect();
    let mut stage = vec![Stage::Waiting; phases.len()];
    let began = Instant::now();
    let (done_tx, done_rx) = mpsc::channel::<(usize, Vec<Outcome>, PhaseTiming)>();
    std::thread::scope(|s| {
        let mut stopping = false;
        loop {
            // A failed phase stops the run when it acts; a plan goes on to show the rest.
            let finished = |x: Stage| x == Stage::Done || (x == Stage::Failed && opts.mode == Mode::Probe);
            for i in 0..phases.len() {
                if stopping || stage[i] != Stage::Waiting || !before[i].iter().all(|&j| finished(stage[j])) {
                    continue;
                }
                stage[i] = Stage::Running;
                let (phase, slots, done_tx) = (&phases[i], &slots, done_tx.clone());
                s.spawn(move || {
                    let phase_began = Instant::now();
                    let outcomes = run_phase(phase, slots, connect, opts, observer);
                    let started = phase_began.duration_since(began).as_secs_f64();
                    let seconds = phase_began.elapsed().as_secs_f64();
                    let timing = PhaseTiming { phase: phase.name.clone(), started, seconds, ended: started + seconds };
                    let _ = done_tx.send((i, outcomes, timing));
                });
            }
            if !stage.contains(&Stage::Running) {
                break;
            }
            let Ok((i, outcomes, timing)) = done_rx.recv() else { break };
            let failed = outcomes.iter().any(|o| matches!(o.status, Status::Failed(_)));
            stage[i] = if failed { Stage::Failed } else { Stage::Done };
            report.outcomes.extend(outcomes);
            report.timings.push(timing);
            observer.phase_done(&phases[i].name, !failed);
            if failed {
                report.failed_phase.get_or_insert(phases[i].name.clone());
                stopping |= opts.mode == Mode::Apply;
            } else {
                report.phases_done.push(phases[i].name.clone());
            }
        }
    });
    report
}

/// Runs one phase on each of its hosts, up to `opts.parallel` at once; the outcomes in the
/// order of its hosts.
fn run_phase(
    phase: &Phase,
    slots: &BTreeMap<&str, HostSlot>,
    connect: &Connect<'_>,
    opts: &Options,
    observer: &dyn Observer,
) -> Vec<Outcome> {
    let counts: BTreeMap<String, usize> = phase.hosts.iter().map(|(h, s)| (h.clone(), s.len())).collect();
    observer.phase_started(&phase.name, &counts);
    let queue: Mutex<VecDeque<&String>> = Mutex::new(phase.hosts.keys().collect());
    let outcomes: Mutex<Vec<Outcome>> = Mutex::new(Vec::new());
    let workers = opts.parallel.max(1).min(phase.hosts.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let Some(host) = queue.lock().expect("queue").pop_front() else { break };
                    let results = run_host(phase, host, &slots[host.as_str()], connect, opts, observer);
                    outcomes.lock().expect("outcomes").extend(results);
                }
            });
        }
    });
    let mut results = outcomes.into_inner().expect("outcomes");
    let order: Vec<&String> = phase.hosts.keys().collect();
    results.sort_by_key(|o| order.iter().position(|h| **h == o.host));
    results
}

/// A connection to `host` for one phase: one the run already has that no phase is using, else
/// a new one; with the host's log, opened once per run.
fn take(host: &str, slot: &HostSlot, phase: &str, connect: &Connect<'_>, opts: &Options) -> Result<Logged, String> {
    let log = {
        let mut log = slot.log.lock().expect("log");
        match &*log {
            Some(l) => l.clone(),
            None => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(opts.log_dir.join(format!("{host}.log")))
                    .map_err(|e| format!("{host}: cannot open its log in {}: {e}", opts.log_dir.display()))?;
                log.insert(Arc::new(Mutex::new(file))).clone()
            }
        }
    };
    let idle = slot.idle.lock().expect("idle").pop();
    let inner = match idle {
        Some(t) => t,
        None => connect(host).map_err(|e| {
            append(&log, &format!("[{phase}] connect failed: {e}\n"));
            e.to_string()
        })?,
    };
    Ok(Logged { inner, log, phase: phase.to_string() })
}

fn run_host(
    phase: &Phase,
    host: &str,
    slot: &HostSlot,
    connect: &Connect<'_>,
    opts: &Options,
    observer: &dyn Observer,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let steps = &phase.hosts[host];
    let outcome = |step: String, status: Status, started: Instant| Outcome {
        phase: phase.name.clone(),
        host: host.to_string(),
        step,
        status,
        duration: started.elapsed(),
    };
    let started = Instant::now();
    let mut conn = match take(host, slot, &phase.name, connect, opts) {
        Ok(conn) => conn,
        Err(message) => {
            let o = outcome("connect".into(), Status::Failed(message), started);
            observer.step_done(&o);
            outcomes.push(o);
            return outcomes;
        }
    };
    // What earlier phases changed here; they are done, so it holds for the whole phase.
    let mut state = slot.state.lock().expect("state").clone();
    conn.note("== phase ==");
    // One round trip reads every step's facts; they stay valid until a step changes the host.
    let mut batched = if steps.len() > 1 {
        match steps::facts(&mut conn, steps) {
            Ok(f) => Some(f),
            Err(e) => {
                conn.note(&format!("gathering facts at once failed, probing step by step: {e}"));
                None
            }
        }
    } else {
        None
    };
    for (i, step) in steps.iter().enumerate() {
        let started = Instant::now();
        conn.note(&format!("-- {}", step.describe()));
        let fact = batched.as_ref().map(|f| &f[i]);
        let status = match run_step(step, &mut conn, &mut state, opts.mode, fact) {
            Ok(s) => s,
            Err(e) => Status::Failed(e.to_string()),
        };
        conn.note(&format!(
            "   => {}",
            match &status {
                Status::Unchanged => "unchanged".to_string(),
                Status::Changed => "changed".to_string(),
                Status::WouldChange { reason, .. } => format!("would change: {reason}"),
                Status::Failed(m) => format!("FAILED: {m}"),
            }
        ));
        if status == Status::Changed {
            batched = None;
        }
        let stop = matches!(status, Status::Failed(_));
        let o = outcome(step.describe(), status, started);
        observer.step_done(&o);
        outcomes.push(o);
        if stop {
            break;
        }
    }
    slot.state.lock().expect("state").changed.extend(state.changed);
    slot.idle.lock().expect("idle").push(conn.inner);
    outcomes
}

fn run_step(
    step: &Step,
    t: &mut dyn Transport,
    state: &mut RunState,
    mode: Mode,
    fact: Option<&(i32, String)>,
) -> Result<Status, StepError> {
    if let Some((code, stdout)) = fact
        && step.judge(*code, stdout, state) == Drift::InSync
    {
        return Ok(Status::Unchanged);
    }
    // Acting, or showing a diff, always starts from a fresh probe of this one step.
    let reason = match step.probe(t, state)? {
        Drift::InSync => return Ok(Status::Unchanged),
        Drift::Differs { reason, old } if mode == Mode::Probe => {
            return Ok(Status::WouldChange { reason, old, new: step.new_text().map(str::to_string) });
        }
        Drift::Differs { reason, .. } => reason,
    };
    step.apply(t)?;
    if step.converges()
        && let Drift::Differs { reason: still, .. } = step.probe(t, &RunState::default())?
    {
        return Err(StepError::NotConverged {
            host: t.host().to_string(),
            step: step.describe(),
            reason: format!("{reason}; now {still}"),
        });
    }
    if let Step::File { affects, .. } | Step::Link { affects, .. } = step {
        state.changed.extend(affects.iter().cloned());
    }
    Ok(Status::Changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(name: &str, command: &str) -> Step {
        Step::Run { name: name.into(), command: command.into(), unless: None, timeout: Duration::from_secs(10) }
    }

    /// The phase `name` running `command` on host `h`, after `after`.
    fn phase(name: &str, command: &str, after: &[&str]) -> Phase {
        Phase {
            name: name.into(),
            hosts: BTreeMap::from([("h".to_string(), vec![shell(name, command)])]),
            after: after.iter().map(|a| a.to_string()).collect(),
        }
    }

    /// Runs `phases` on this machine, counting the connections opened.
    fn run_here(phases: &[Phase]) -> (Report, usize) {
        let dir = tempfile::tempdir().unwrap();
        let opened = std::sync::atomic::AtomicUsize::new(0);
        let connect = |h: &str| -> Result<Box<dyn Transport>, TransportError> {
            opened.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Box::new(crate::engine::transport::Local::new(h)))
        };
        let opts = Options { parallel: 1, log_dir: dir.path().to_path_buf(), mode: Mode::Apply };
        let report = run(phases, &connect, &opts, &Quiet);
        (report, opened.into_inner())
    }

    fn timing<'r>(report: &'r Report, name: &str) -> &'r PhaseTiming {
        report.timings.iter().find(|t| t.phase == name).unwrap_or_else(|| panic!("{name} did not run"))
    }

    #[test]
    fn every_phase_that_ran_is_timed_and_a_failure_stops_what_follows() {
        let mut phases =
            in_order(vec![phase("quick", "true", &[]), phase("slow", "sleep 0.3", &[]), phase("broken", "false", &[])]);
        phases.push(phase("never", "true", &["broken"]));
        let (report, _) = run_here(&phases);
        let names: Vec<&str> = report.timings.iter().map(|t| t.phase.as_str()).collect();
        assert_eq!(names, ["quick", "slow", "broken"], "the phase after the failure did not run");
        let slow = timing(&report, "slow");
        assert!(slow.seconds >= 0.3 && (slow.ended - slow.started - slow.seconds).abs() < 1e-9, "{slow:?}");
        assert!(timing(&report, "broken").started >= slow.ended, "{:?}", report.timings);
        assert_eq!(report.failed_phase.as_deref(), Some("broken"));
    }

    #[test]
    fn phases_that_do_not_depend_on_each_other_run_at_once_on_the_same_host() {
        let phases = [
            phase("first", "true", &[]),
            phase("left", "sleep 0.5", &["first"]),
            phase("right", "sleep 0.5", &["first"]),
            phase("join", "true", &["left", "right"]),
        ];
        let (report, opened) = run_here(&phases);
        assert!(report.ok(), "{:?}", report.outcomes);
        let (left, right, join) = (timing(&report, "left"), timing(&report, "right"), timing(&report, "join"));
        assert!(
            right.started < left.ended && left.started < right.ended,
            "one waited for the other: {left:?} {right:?}"
        );
        assert!(join.started >= left.ended && join.started >= right.ended, "{:?}", report.timings);
        assert_eq!(opened, 2, "two phases at once on one host need two connections, and no more");
    }

    #[test]
    fn a_failed_phase_lets_the_running_ones_finish_and_starts_nothing_after_it() {
        let phases = [
            phase("broken", "sleep 0.1; false", &[]),
            phase("busy", "sleep 0.5", &[]),
            phase("after-broken", "true", &["broken"]),
            phase("after-busy", "true", &["busy"]),
        ];
        let (report, _) = run_here(&phases);
        assert_eq!(report.failed_phase.as_deref(), Some("broken"));
        assert_eq!(report.phases_done, ["busy"]);
        assert!(report.timings.iter().all(|t| !t.phase.starts_with("after")), "{:?}", report.timings);
    }

    #[test]
    fn dropping_a_phase_keeps_the_order_among_the_others() {
        let phases = vec![
            phase("a", "true", &[]),
            phase("b", "true", &["a"]),
            phase("c", "true", &["a"]),
            phase("d", "true", &["b", "c"]),
            phase("e", "true", &["d"]),
        ];
        let kept = retain(phases.clone(), |p| p.name != "b" && p.name != "d");
        let edges: Vec<(&str, Vec<&str>)> =
            kept.iter().map(|p| (p.name.as_str(), p.after.iter().map(String::as_str).collect())).collect();
        assert_eq!(edges, [("a", vec![]), ("c", vec!["a"]), ("e", vec!["a", "c"])]);
        let chain = in_order(phases);
        assert_eq!(chain[4].after, ["d"]);
        assert!(chain[0].after.is_empty());
    }
}
