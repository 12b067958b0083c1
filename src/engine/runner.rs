//! The runner: phases of steps over many hosts. Hosts run in parallel up to a bound, phases in
//! order with a barrier between them. A host's facts for a whole phase are read in one round
//! trip; a step that differs is probed again right before it acts, and once more after. A failure stops that host's phase; the other hosts finish theirs, and the run stops
//! before the next phase. Every command and its result goes to a log file per host.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::engine::steps::{self, Drift, RunState, Step, StepError};
use crate::engine::transport::{Output, Transport, TransportError};

/// Named steps per host, run as one unit between barriers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phase {
    /// Its name, e.g. `configure`.
    pub name: String,
    /// The steps of each host, in order.
    pub hosts: BTreeMap<String, Vec<Step>>,
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
    /// Hosts worked on at once.
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
    /// Every step's result, phase by phase, host by host.
    pub outcomes: Vec<Outcome>,
    /// The phases that ran to the end on every host.
    pub phases_done: Vec<String>,
    /// The phase that failed, after which the run stopped.
    pub failed_phase: Option<String>,
    /// The folder of the per-host logs.
    pub log_dir: PathBuf,
    /// When each phase that ran started and how long it took, in order.
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

/// A transport that writes every command, its exit code and output to the host's log.
struct Logged {
    inner: Box<dyn Transport>,
    log: File,
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
        let _ = writeln!(self.log, "$ {command}");
        match &result {
            Ok(out) => {
                let _ = writeln!(self.log, "  exit {} after {:.2}s", out.code, started.elapsed().as_secs_f64());
                // Stdout may hold a file's contents, secrets included: kept only when it explains a failure.
                let stdout: &[u8] = if out.code == 0 { &[] } else { &out.stdout };
                for (name, bytes) in [("stdout", stdout), ("stderr", out.stderr.as_slice())] {
                    if !bytes.is_empty() {
                        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
                        let _ = writeln!(self.log, "  {name}: {}", text.trim_end().replace('\n', "\n    "));
                    }
                }
            }
            Err(e) => {
                let _ = writeln!(self.log, "  error: {e}");
            }
        }
        result
    }
}

struct HostSlot {
    conn: Option<Logged>,
    state: RunState,
}

/// Runs `phases` in order over their hosts.
pub fn run(phases: &[Phase], connect: &Connect<'_>, opts: &Options, observer: &dyn Observer) -> Report {
    let mut report = Report { log_dir: opts.log_dir.clone(), ..Report::default() };
    let names: Vec<String> = {
        let mut all: Vec<String> = phases.iter().flat_map(|p| p.hosts.keys().cloned()).collect();
        all.sort();
        all.dedup();
        all
    };
    let slots: BTreeMap<String, Mutex<HostSlot>> =
        names.iter().map(|h| (h.clone(), Mutex::new(HostSlot { conn: None, state: RunState::default() }))).collect();
    let _ = std::fs::create_dir_all(&opts.log_dir);
    let began = Instant::now();
    for phase in phases {
        let phase_began = Instant::now();
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
                        let mut slot = slots[host].lock().expect("slot");
                        let results = run_host(phase, host, &mut slot, connect, opts, observer);
                        outcomes.lock().expect("outcomes").extend(results);
                    }
                });
            }
        });
        let mut results = outcomes.into_inner().expect("outcomes");
        let order: Vec<&String> = phase.hosts.keys().collect();
        results.sort_by_key(|o| order.iter().position(|h| **h == o.host));
        let failed = results.iter().any(|o| matches!(o.status, Status::Failed(_)));
        report.outcomes.extend(results);
        report.timings.push(PhaseTiming {
            phase: phase.name.clone(),
            started: phase_began.duration_since(began).as_secs_f64(),
            seconds: phase_began.elapsed().as_secs_f64(),
        });
        observer.phase_done(&phase.name, !failed);
        if failed && opts.mode == Mode::Apply {
            report.failed_phase = Some(phase.name.clone());
            break;
        }
        if failed {
            report.failed_phase.get_or_insert(phase.name.clone());
        } else {
            report.phases_done.push(phase.name.clone());
        }
    }
    report
}

fn run_host(
    phase: &Phase,
    host: &str,
    slot: &mut HostSlot,
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
    if slot.conn.is_none() {
        let started = Instant::now();
        let log = std::fs::OpenOptions::new().create(true).append(true).open(opts.log_dir.join(format!("{host}.log")));
        let connected = match log {
            Err(e) => Err(format!("{host}: cannot open its log in {}: {e}", opts.log_dir.display())),
            Ok(mut log) => match connect(host) {
                Ok(inner) => Ok(Logged { inner, log }),
                Err(e) => {
                    let _ = writeln!(log, "connect failed: {e}");
                    Err(e.to_string())
                }
            },
        };
        match connected {
            Ok(conn) => slot.conn = Some(conn),
            Err(message) => {
                let o = outcome("connect".into(), Status::Failed(message), started);
                observer.step_done(&o);
                outcomes.push(o);
                return outcomes;
            }
        }
    }
    let HostSlot { conn, state } = slot;
    let conn = conn.as_mut().expect("connected");
    let _ = writeln!(conn.log, "== phase {} ==", phase.name);
    // One round trip reads every step's facts; they stay valid until a step changes the host.
    let mut batched = if steps.len() > 1 {
        match steps::facts(conn, steps) {
            Ok(f) => Some(f),
            Err(e) => {
                let _ = writeln!(conn.log, "gathering facts at once failed, probing step by step: {e}");
                None
            }
        }
    } else {
        None
    };
    for (i, step) in steps.iter().enumerate() {
        let started = Instant::now();
        let _ = writeln!(conn.log, "-- {}", step.describe());
        let fact = batched.as_ref().map(|f| &f[i]);
        let status = match run_step(step, conn, state, opts.mode, fact) {
            Ok(s) => s,
            Err(e) => Status::Failed(e.to_string()),
        };
        let _ = writeln!(
            conn.log,
            "   => {}",
            match &status {
                Status::Unchanged => "unchanged".to_string(),
                Status::Changed => "changed".to_string(),
                Status::WouldChange { reason, .. } => format!("would change: {reason}"),
                Status::Failed(m) => format!("FAILED: {m}"),
            }
        );
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

    #[test]
    fn every_phase_that_ran_is_timed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let run_step = |name: &str, command: &str| Step::Run {
            name: name.into(),
            command: command.into(),
            unless: None,
            timeout: Duration::from_secs(10),
        };
        let phase = |name: &str, command: &str| Phase {
            name: name.into(),
            hosts: BTreeMap::from([("h".to_string(), vec![run_step(name, command)])]),
        };
        let phases =
            [phase("quick", "true"), phase("slow", "sleep 0.3"), phase("broken", "false"), phase("never", "true")];
        let connect = |h: &str| -> Result<Box<dyn Transport>, TransportError> {
            Ok(Box::new(crate::engine::transport::Local::new(h)))
        };
        let opts = Options { parallel: 1, log_dir: dir.path().to_path_buf(), mode: Mode::Apply };
        let report = run(&phases, &connect, &opts, &Quiet);
        let names: Vec<&str> = report.timings.iter().map(|t| t.phase.as_str()).collect();
        assert_eq!(names, ["quick", "slow", "broken"], "the phase after the failure did not run");
        let slow = &report.timings[1];
        assert!(slow.seconds >= 0.3, "{slow:?}");
        assert!(report.timings[2].started >= slow.started + slow.seconds, "{:?}", report.timings);
    }
}
