//! The eight-host local topology for real: ZooKeeper, JournalNodes, HA NameNodes with ZKFCs,
//! DataNodes, YARN, MariaDB and PostgreSQL on 127.0.10.1-8 of this machine, driven through the
//! `provision` binary as a user would. Needs Java 17, Maven (Maven Central), mariadb-server,
//! postgresql-15 and curl; `.ci/run` installs them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use provision::dataset::hour::Hour;
use provision::dataset::record;
use provision::landing;
use provision::marts::db as mart;

use crate::pages::Site;
use crate::support::{bin, local_inventory, root};

/// Stops the topology however the test ends, so a failure leaves no daemons behind.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if self.0.parent().is_some_and(|d| d.join("state").exists()) {
            let _ = bin().args(["down", "--purge", "-i"]).arg(&self.0).output();
        }
    }
}

/// The machine's one local topology, for one test: a copy of its inventory in a new folder,
/// refused while another topology runs, brought down however the test ends.
struct Fresh {
    /// Dropped first: the daemons stop while their folder still exists.
    cleanup: Cleanup,
    /// The folder of the inventory, the state and the hosts.
    dir: tempfile::TempDir,
    /// Dropped last: the next topology test waits until this one is down.
    _heavy: std::sync::MutexGuard<'static, ()>,
}

impl Fresh {
    fn start() -> Fresh {
        let heavy = crate::support::heavy();
        assert!(
            std::net::TcpStream::connect_timeout(&"127.0.10.1:2181".parse().unwrap(), Duration::from_millis(300))
                .is_err(),
            "something already listens on 127.0.10.1:2181: stop the other local topology first (provision down -i inventory/local.toml)"
        );
        let dir = tempfile::tempdir().unwrap();
        let cleanup = Cleanup(local_inventory(dir.path()));
        Fresh { cleanup, dir, _heavy: heavy }
    }

    /// The inventory file.
    fn inventory(&self) -> PathBuf {
        self.cleanup.0.clone()
    }
}

fn provision(inv: &Path, args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).arg("-i").arg(inv).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn changed(report: &serde_json::Value) -> u64 {
    report["hosts"].as_object().unwrap().values().map(|h| h["changed"].as_u64().unwrap()).sum()
}

#[test]
fn the_local_topology_comes_up_survives_failover_and_goes_down() {
    let fresh = Fresh::start();
    let (dir, inv) = (&fresh.dir, fresh.inventory());
    let state = dir.path().join("state");

    // A first `up`, killed in the middle of the HA bootstrap (right after the first NameNode
    // started), then run again to completion.
    let started = Instant::now();
    let mut child = bin().args(["up", "-i"]).arg(&inv).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.starts_with("[standby-namenode]") {
            break;
        }
        assert!(!line.contains("FAILED"), "the first up failed:\n{}", seen.join("\n"));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        seen.iter().any(|l| l.starts_with("[standby-namenode]")),
        "up ended before the standby phase:\n{}",
        seen.join("\n")
    );
    let (code, out, err) = provision(&inv, &["up", "--json"]);
    assert_eq!(code, 0, "up after an interruption failed:\n{out}\n{err}");
    let cold = started.elapsed();
    assert!(changed(&json(&out)) > 0, "the second up had the rest of the bootstrap to do");

    assert!(err.contains("verified: every check passed"), "up did not end with a verification:\n{err}");

    // A second `up` changes nothing.
    let noop_started = Instant::now();
    let (code, out, err) = provision(&inv, &["up", "--json", "--no-verify"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(changed(&json(&out)), 0, "a second up changed something: {out}");
    assert!(err.contains("the pipeline's flow on NiFi: unchanged"), "{err}");
    let noop = noop_started.elapsed();

    let (code, out, _) = provision(&inv, &["status", "--json"]);
    let status = json(&out);
    assert_eq!(code, 0, "not healthy: {out}");
    assert_eq!(status["checks"].as_array().unwrap().len(), 22);
    let nifi = status["checks"].as_array().unwrap().iter().find(|c| c["service"] == "nifi").expect("NiFi is checked");
    assert_eq!(nifi["detail"], "answering (NiFi 1.18.0)", "{nifi}");
    let flow = &status["nifi_flow"];
    assert_eq!(flow["running"], true, "{flow}");
    for (count, expected) in [("stopped", 0), ("invalid", 0), ("queued", 0)] {
        assert_eq!(flow["state"][count], expected, "{count}: {flow}");
    }
    nifi_canvas_in_chromium(&inv);
    let modes: Vec<&str> = status["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["service"] == "zookeeper")
        .map(|c| c["detail"].as_str().unwrap())
        .collect();
    assert_eq!(modes.iter().filter(|m| **m == "leader").count(), 1, "{modes:?}");

    every_daemon_binds_its_own_address(&inv, &state);

    let version = state.join("hosts/nn01/data/hadoop/namenode/current/VERSION");
    let cluster_id = std::fs::read_to_string(&version).unwrap();

    let (code, out, err) = provision(&inv, &["verify", "--failover", "--json"]);
    assert_eq!(code, 0, "verify --failover failed:\n{out}\n{err}");
    let report = json(&out);
    let names: Vec<&str> = report["checks"].as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["health", "hdfs", "yarn", "pipeline", "nifi", "failover", "zookeeper"]);
    assert_eq!(report["ok"], true);
    let checks = |name: &str| report["checks"].as_array().unwrap().iter().find(|k| k["name"] == name).unwrap().clone();
    assert_eq!(checks("hdfs")["data"]["replicas"], 3);
    let cycles = [
        checks("pipeline")["data"].clone(),
        checks("nifi")["data"]["cycle"].clone(),
        checks("failover")["data"]["nifi"]["cycle"].clone(),
    ];
    for cycle in cycles {
        for stage in ["crawled", "landed", "queryable", "in_mart"] {
            assert_eq!(cycle[stage], 1200, "{stage}: {cycle}");
        }
        assert_eq!(cycle["sampled"], 36);
    }
    let drill = checks("failover")["data"]["drill"].clone();
    assert!(drill["failover_seconds"].as_f64().unwrap() > 0.0);
    assert!(drill["writes"].as_u64().unwrap() > 0);
    let quorum = checks("zookeeper")["data"].clone();
    assert_eq!(quorum["remaining"], 2);
    let markdown = std::fs::read_to_string(report["file"].as_str().unwrap()).unwrap();
    assert!(markdown.contains("PASSED") && markdown.contains("| failover | ok |"), "{markdown}");
    // The sample cycles' reserved hours leave nothing behind.
    let (_, out, _) = provision(
        &inv,
        &[
            "mart",
            "export",
            "dm_gmarket",
            "--from",
            "2000-01-01T00",
            "--to",
            "2000-01-01T01",
            "--csv",
            &dir.path().join("reserved.csv").display().to_string(),
            "--json",
        ],
    );
    assert_eq!(json(&out)["rows"], 0, "{out}");

    // A verification that fails says which check, what it expected and found, where to look.
    kill_daemon(&state, "dn01", "nodemanager", "-9");
    let (code, out, _) = provision(&inv, &["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  health"), "{out}");
    assert!(out.contains("nodemanager on dn01 is down") && out.contains("hint: look at"), "{out}");
    assert!(out.contains("skip  hdfs"), "{out}");
    let (code, _, err) = provision(&inv, &["up", "--only", "nodemanagers"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = provision(&inv, &["status"]);
    assert_eq!(code, 0, "not healthy after the drill:\n{out}");

    pipeline_on_the_platform(&inv, &state);
    marts_through_hive(&inv, &state, dir.path());
    mapreduce_through_yarn(&inv);
    clients_on_the_platform(&inv, &state);
    down_dry_run_stops_nothing(&inv);

    let (code, _, err) = provision(&inv, &["down"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = provision(&inv, &["status", "--json"]);
    assert_eq!(code, 1);
    assert!(
        json(&out)["checks"].as_array().unwrap().iter().all(|c| c["up"] == false),
        "daemons still up after down: {out}"
    );

    // Up again from stopped daemons: nothing is formatted again.
    let warm_started = Instant::now();
    let (code, out, err) = provision(&inv, &["up", "--no-verify"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let warm = warm_started.elapsed();
    assert_eq!(std::fs::read_to_string(&version).unwrap(), cluster_id, "the NameNode was formatted again");
    let (code, out, _) = provision(&inv, &["status"]);
    assert_eq!(code, 0, "not healthy after a restart:\n{out}");

    let (code, _, err) = provision(&inv, &["down", "--purge"]);
    assert_eq!(code, 0, "{err}");
    assert!(!state.exists(), "down --purge left {}", state.display());
    eprintln!(
        "local topology: cold up (interrupted once) {:.0}s, no-op up {:.2}s, up after down {:.0}s, failover {:.2}s",
        cold.as_secs_f64(),
        noop.as_secs_f64(),
        warm.as_secs_f64(),
        drill["failover_seconds"].as_f64().unwrap()
    );
}

/// Apache's pi estimator (`pi 2 10` with `options` before its numbers) submitted through the
/// ResourceManager with rm01's client configuration, as a user on that host would: whether
/// it exited 0, and what it printed.
fn pi(inv: &Path, options: &[&str]) -> (bool, String) {
    let cluster = provision::inventory::load(inv).unwrap();
    let rm = cluster.one(provision::model::Role::ResourceManager).unwrap();
    let args: Vec<&str> = std::iter::once("pi").chain(options.iter().copied()).chain(["2", "10"]).collect();
    let tool =
        provision::services::launch::hadoop_tool(&cluster, rm, "org.apache.hadoop.examples.ExampleDriver", &args);
    let out = std::process::Command::new("sh").arg("-c").arg(tool.shell(None)).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// A stock MapReduce job through YARN on the running topology, by hand and by verify, and
/// the two ways it failed before.
fn mapreduce_through_yarn(inv: &Path) {
    // The cluster's own client configuration runs a stock job: the ApplicationMaster and the
    // tasks fit the NodeManagers, and the containers find the MapReduce framework.
    let started = Instant::now();
    let (ok, text) = pi(inv, &[]);
    assert!(ok && text.contains("Estimated value of Pi is 3."), "pi 2 10 failed:\n{text}");
    let took = started.elapsed();

    // verify's yarn check runs the same job, after health and HDFS, and reports its time.
    let (code, out, err) = provision(inv, &["verify", "--json"]);
    assert_eq!(code, 0, "verify failed:\n{out}\n{err}");
    let report = json(&out);
    let names: Vec<&str> = report["checks"].as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert_eq!(&names[..3], ["health", "hdfs", "yarn"]);
    let yarn = report["checks"].as_array().unwrap().iter().find(|k| k["name"] == "yarn").unwrap().clone();
    assert_eq!(yarn["ok"], true, "{yarn}");
    assert!(yarn["data"]["estimate"].as_str().unwrap().starts_with("3."), "{yarn}");
    assert!(yarn["data"]["application"].as_str().unwrap().starts_with("application_"), "{yarn}");
    let seconds = yarn["data"]["seconds"].as_f64().unwrap();
    assert!(seconds > 0.0 && yarn["figure"].as_str().unwrap().contains("finished in"), "{yarn}");

    // What went wrong before: Hadoop's 1536 MB ApplicationMaster is refused by NodeManagers of
    // 1024 MB, and containers without the framework on their classpath cannot start it.
    let (ok, text) = pi(inv, &["-Dyarn.app.mapreduce.am.resource.mb=1536"]);
    assert!(!ok && !text.contains("Estimated value of Pi"), "an ApplicationMaster of 1536 MB ran:\n{text}");
    assert!(text.contains("maximum allowed allocation"), "{text}");
    let (ok, text) = pi(inv, &["-Dmapreduce.application.classpath=/nonexistent/*"]);
    assert!(!ok && !text.contains("Estimated value of Pi"), "a job without the framework ran:\n{text}");
    eprintln!("pi 2 10 through YARN: {:.1}s by hand, {seconds:.1}s in verify", took.as_secs_f64());
}

/// Spinning shell loops, one per core, that keep the machine busy until dropped; each also dies
/// with the test's thread that started it.
struct Busy(Vec<std::process::Child>);

impl Busy {
    fn start(n: usize) -> Busy {
        use std::os::unix::process::CommandExt;
        let spin = || {
            let mut cmd = std::process::Command::new("sh");
            cmd.args(["-c", "while :; do :; done"]).stdin(Stdio::null());
            // SAFETY: prctl only sets a flag of the child being started; nothing is allocated.
            unsafe {
                cmd.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == 0 {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                });
            }
            cmd.spawn().expect("sh")
        };
        Busy((0..n).map(|_| spin()).collect())
    }

    /// Whether every loop still runs.
    fn spinning(&mut self) -> bool {
        self.0.iter_mut().all(|c| c.try_wait().is_ok_and(|s| s.is_none()))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The slow daemons of a verification's health check, as `service on host`.
fn slow_daemons(report: &serde_json::Value) -> Vec<String> {
    report["health"]["checks"]
        .as_array()
        .map(|checks| {
            checks
                .iter()
                .filter(|c| c["slow"] == true)
                .map(|c| format!("{} on {} ({}s)", c["service"], c["host"], c["seconds"]))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_local_topology_comes_up_and_survives_failover_while_every_core_is_kept_busy() {
    let fresh = Fresh::start();
    let inv = fresh.inventory();
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    // Dropped before the cleanup: the loops stop first, however the test ends.
    let mut busy = Busy::start(cores);

    let started = Instant::now();
    let (code, out, err) = provision(&inv, &["up", "--json"]);
    let up = started.elapsed();
    assert_eq!(code, 0, "up on a busy machine failed after {:.0}s:\n{out}\n{err}", up.as_secs_f64());
    assert!(err.contains("verified: every check passed"), "up did not end with a verification:\n{err}");
    let up_health = err.lines().find(|l| l.starts_with("ok    health")).unwrap_or_default().to_string();

    let started = Instant::now();
    let (code, out, err) = provision(&inv, &["verify", "--failover", "--json"]);
    let verify = started.elapsed();
    assert_eq!(code, 0, "verify --failover on a busy machine failed after {:.0}s:\n{out}\n{err}", verify.as_secs_f64());
    let report = json(&out);
    assert_eq!(report["ok"], true);
    let names: Vec<&str> = report["checks"].as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["health", "hdfs", "yarn", "pipeline", "nifi", "failover", "zookeeper"]);
    let hdfs = report["checks"].as_array().unwrap().iter().find(|k| k["name"] == "hdfs").unwrap()["data"].clone();
    assert_eq!(hdfs["replicas"], 3, "{hdfs}");
    assert!(busy.spinning(), "the busy loops ended before the verification did");
    drop(busy);

    let (code, _, err) = provision(&inv, &["down", "--purge"]);
    assert_eq!(code, 0, "{err}");
    eprintln!(
        "busy machine ({cores} spinning loops): up {:.0}s ({up_health}), verify --failover {:.0}s, slow daemons {:?}, replication {}s after the write",
        up.as_secs_f64(),
        verify.as_secs_f64(),
        slow_daemons(&report),
        hdfs["replication_seconds"]
    );
}

/// The deployed flow on NiFi's canvas, in headless Chromium: its group opened, each of its
/// processors drawn by name; the screenshot is kept in the target folder.
fn nifi_canvas_in_chromium(inv: &Path) {
    use provision::nifi::{api::Api, flow::GROUP};
    let address = provision::inventory::load(inv).unwrap().nifi_address().unwrap();
    let api = Api::new(&address);
    let (group, names) = rt().block_on(async {
        let root = api.root().await.unwrap();
        let group = api.groups(&root).await.unwrap().into_iter().find(|g| g.name == GROUP).expect("the flow's group");
        let inside = api.get(&format!("/flow/process-groups/{}", group.id)).await.unwrap();
        let names: Vec<String> = inside["processGroupFlow"]["flow"]["processors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["component"]["name"].as_str().unwrap().to_string())
            .collect();
        (group.id, names)
    });
    assert_eq!(names.len(), 7, "{names:?}");
    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("nifi-canvas.png");
    let drawn = crate::canvas::draw(&address, &group, &png);
    assert_eq!(drawn.size, (1600, 1000));
    assert_eq!(drawn.current, [GROUP], "the canvas shows another group");
    for name in &names {
        assert!(
            drawn.processors.iter().any(|d| crate::canvas::shows(d, name)),
            "{name} not drawn: {:?}",
            drawn.processors
        );
    }
    eprintln!("NiFi's canvas with the flow: {}", drawn.png.display());
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

fn kill_daemon(state: &Path, host: &str, service: &str, signal: &str) {
    let pid = std::fs::read_to_string(state.join(format!("hosts/{host}/var/run/provision/{service}.pid"))).unwrap();
    let ok = std::process::Command::new("kill").args([signal, pid.trim()]).status().unwrap().success();
    assert!(ok, "kill {signal} {service} on {host}");
}

/// The pipeline on the running platform: crawl recorded pages, land in HDFS, load the mart,
/// the ledger; then the faults: the active NameNode killed as a landing starts, PostgreSQL
/// restarted in the middle of a load.
fn pipeline_on_the_platform(inv: &Path, state: &Path) {
    let site = Site::start();
    let cluster = provision::inventory::load(inv).unwrap();
    let secrets = provision::secrets::Secrets::load(&state.join("secrets.toml")).unwrap().unwrap();
    let rt = rt();
    let count = |hour: Hour| {
        rt.block_on(async { mart::count_hour(&mart::connect(&cluster, &secrets).await.unwrap(), hour).await.unwrap() })
    };

    // The hour through NiFi's flow (the inventory has a NiFi host), then again every stage here.
    let h1 = Hour::parse("2021-03-24T19").unwrap();
    let mut took = Vec::new();
    for path in [&[][..], &["--direct"][..]] {
        let started = Instant::now();
        let args = [&["pipeline", "run", "--source", &site.base, "--at", "2021-03-24T19"][..], path].concat();
        let (code, out, err) = provision(inv, &args);
        assert_eq!(code, 0, "{args:?}:\n{out}\n{err}");
        took.push(started.elapsed().as_secs_f64());
    }
    assert_eq!(count(h1), 1200, "loading an hour twice must leave one copy");
    let (_, out, _) = provision(inv, &["runs", "--json"]);
    let runs = json(&out);
    let stages = |run: &serde_json::Value| run["stages"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(stages(&runs[0]), ["crawl", "land", "load", "queryable"], "the direct run: {}", runs[0]);
    assert_eq!(stages(&runs[1]), ["crawl", "hand", "land", "load", "queryable"], "NiFi's run: {}", runs[1]);
    eprintln!("an hour from crawl to mart: through NiFi {:.1}s, every stage here {:.1}s", took[0], took[1]);
    let expected: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(root().join("pages/expected-titles.json")).unwrap()).unwrap();
    let titles = rt.block_on(async {
        let db = mart::connect(&cluster, &secrets).await.unwrap();
        db.query("SELECT c.ca_code, d.rank, d.title FROM dm_gmarket d JOIN category_kind c ON c.ca_name = d.category WHERE d.collected_at = $1", &[&h1.0])
            .await
            .unwrap()
            .iter()
            .map(|r| (format!("mobile2021/{}/{}", r.get::<_, String>(0), r.get::<_, i32>(1)), r.get::<_, String>(2)))
            .collect::<Vec<_>>()
    });
    assert_eq!(titles.len(), 1200);
    for (key, title) in &titles {
        assert_eq!(title, &expected[key], "{key} changed on its way to the mart");
    }

    // A run that fails is recorded too.
    let (code, _, err) =
        provision(inv, &["pipeline", "run", "--source", "http://127.0.0.1:9", "--at", "2021-03-24T20"]);
    assert_eq!(code, 1);
    assert!(err.contains("nothing was published"), "{err}");
    let (_, out, _) = provision(inv, &["runs", "--json"]);
    let runs = json(&out);
    assert_eq!(runs[0]["status"], "failed");
    assert_eq!(runs[1]["status"], "succeeded");
    assert_eq!(runs[1]["rows"].as_object().unwrap().len(), 12);

    // The mart down when NiFi's flow takes an hour: the run fails, NiFi retries it after its
    // back-off, and once the mart is back the hour is loaded once.
    let h2 = Hour::parse("2021-03-26T05").unwrap();
    kill_daemon(state, "dbserver", "postgresql", "-INT");
    let run = bin()
        .args(["pipeline", "run", "--source", &site.base, "--at", "2021-03-26T05", "-i"])
        .arg(inv)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(8));
    let (code, _, err) = provision(inv, &["up", "--only", "databases"]);
    assert_eq!(code, 0, "{err}");
    let ran = run.wait_with_output().unwrap();
    assert!(ran.status.success(), "the hour was not retried to success:\n{}", String::from_utf8_lossy(&ran.stderr));
    assert_eq!(count(h2), 1200, "the retried hour is in the mart once");
    let (_, out, _) = provision(inv, &["status", "--json"]);
    assert_eq!(json(&out)["nifi_flow"]["state"]["queued"], 0, "{out}");

    // NiFi stopped and started again keeps its flow, and takes the next hour.
    let pid = std::fs::read_to_string(state.join("hosts/nn01/var/run/provision/nifi.pid")).unwrap();
    kill_daemon(state, "nn01", "nifi", "-TERM");
    let stopping = Instant::now();
    while Path::new(&format!("/proc/{}", pid.trim())).exists() {
        assert!(stopping.elapsed() < Duration::from_secs(60), "NiFi still stopping after a minute");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (code, _, err) = provision(inv, &["up", "--no-verify"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("the pipeline's flow on NiFi: unchanged"), "the flow did not survive a restart:\n{err}");
    let (code, out, err) = provision(inv, &["pipeline", "run", "--source", &site.base, "--at", "2021-03-26T06"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(count(Hour::parse("2021-03-26T06").unwrap()), 1200);

    // The active NameNode killed as a landing starts: the landing completes through the other.
    let (_, out, _) = provision(inv, &["status", "--json"]);
    let active = json(&out)["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["service"] == "namenode" && c["detail"].as_str().unwrap().starts_with("active"))
        .unwrap()["host"]
        .as_str()
        .unwrap()
        .to_string();
    kill_daemon(state, &active, "namenode", "-9");
    let (code, _, err) = provision(inv, &["crawl", "--source", &site.base, "--at", "2021-03-24T21"]);
    assert_eq!(code, 0, "landing during a failover failed: {err}");
    let h3 = Hour::parse("2021-03-24T21").unwrap();
    let (landed, names) = rt.block_on(async {
        let client = provision::hdfs::client(&cluster).unwrap();
        let bytes = landing::read_hdfs(&client, h3).await.unwrap();
        let names: Vec<String> =
            client.list_status(&h3.folder(), false).await.unwrap().into_iter().map(|f| f.path).collect();
        (bytes, names)
    });
    assert_eq!(record::from_csv(&landed).unwrap().len(), 1200);
    assert_eq!(names.len(), 1, "only the landed file is visible: {names:?}");
    let (code, _, err) = provision(inv, &["up", "--only", "namenode,standby-namenode"]);
    assert_eq!(code, 0, "{err}");

    // PostgreSQL restarted in the middle of a load: no partial hour, and the next load works.
    let big = Hour::parse("2021-03-25T01").unwrap();
    let template = record::from_csv(&landed).unwrap();
    let rows: Vec<record::Row> = (0..400_000)
        .map(|i| record::Row { collected_at: big.to_string(), ..template[i % template.len()].clone() })
        .collect();
    rt.block_on(async {
        let client = provision::hdfs::client(&cluster).unwrap();
        landing::land_hdfs(&client, big, bytes::Bytes::from(record::to_csv(&rows)), Duration::from_secs(60))
            .await
            .unwrap();
    });
    let load = bin()
        .args(["mart", "load", "dm_gmarket", "--from", "2021-03-25T01", "-i"])
        .arg(inv)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let copying = rt.block_on(async {
        let db = mart::connect(&cluster, &secrets).await.unwrap();
        for _ in 0..600 {
            let n: i64 = db
                .query_one("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY dm_gmarket%'", &[])
                .await
                .unwrap()
                .get(0);
            if n > 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    });
    assert!(copying, "the load never reached COPY");
    kill_daemon(state, "dbserver", "postgresql", "-INT");
    let out = load.wait_with_output().unwrap();
    assert!(!out.status.success(), "the load survived a restart of PostgreSQL?");
    let (code, _, err) = provision(inv, &["up", "--only", "databases"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(count(big), 0, "a partial hour is in the mart");
    let (code, _, err) = provision(inv, &["mart", "load", "dm_gmarket", "--from", "2021-03-25T01"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(count(big), 400_000);
}

/// The marts on demand, through HiveServer2: a range loaded twice leaves one copy, a failing
/// query names the mart, shows Hive's message and leaves the table as it was, an export
/// round-trips the titles, and the two analyst marts compute what they promise.
fn marts_through_hive(inv: &Path, state: &Path, dir: &Path) {
    let cluster = provision::inventory::load(inv).unwrap();
    let secrets = provision::secrets::Secrets::load(&state.join("secrets.toml")).unwrap().unwrap();
    let rt = rt();
    let query = |sql: &str| -> Vec<tokio_postgres::Row> {
        rt.block_on(async { mart::connect(&cluster, &secrets).await.unwrap().query(sql, &[]).await.unwrap() })
    };
    let count = |sql: &str| -> i64 { query(sql)[0].get(0) };
    let h1 = Hour::parse("2021-03-24T19").unwrap();
    // An hour where every category's ranking is reversed: rank r becomes 101 - r.
    let reversed = Hour::parse("2021-03-24T23").unwrap();
    rt.block_on(async {
        let client = provision::hdfs::client(&cluster).unwrap();
        let rows = record::from_csv(&landing::read_hdfs(&client, h1).await.unwrap()).unwrap();
        let rows: Vec<record::Row> = rows
            .into_iter()
            .map(|r| record::Row { rank: 101 - r.rank, collected_at: reversed.to_string(), ..r })
            .collect();
        landing::land_hdfs(&client, reversed, bytes::Bytes::from(record::to_csv(&rows)), Duration::from_secs(60))
            .await
            .unwrap();
    });

    // 19:00 to 23:00 holds three landed hours (19, 21, 23); loading it twice leaves one copy.
    let in_range =
        "SELECT count(*) FROM dm_gmarket WHERE collected_at BETWEEN '2021-03-24 19:00' AND '2021-03-24 23:00'";
    for _ in 0..2 {
        let (code, out, err) = provision(
            inv,
            &["mart", "load", "dm_gmarket", "--from", "2021-03-24T19", "--to", "2021-03-24T23", "--json"],
        );
        assert_eq!(code, 0, "{err}");
        let outcome = json(&out);
        assert_eq!(outcome["rows"], 3600, "{out}");
        assert_eq!(outcome["hours"], serde_json::json!(["2021-03-24T19", "2021-03-24T21", "2021-03-24T23"]));
    }
    assert_eq!(count(in_range), 3600);

    // A failing query: the mart and Hive's own message, and the range's rows untouched.
    let marts = dir.join("marts");
    std::fs::create_dir_all(&marts).unwrap();
    std::fs::write(
        marts.join("broken.toml"),
        "description = \"a query Hive refuses\"\ntable = \"dm_gmarket\"\ncolumns = [\"title\", \"collected_at\"]\n\
         range_column = \"collected_at\"\nquery = \"SELECT no_such_column, collected_at FROM gmarket_best WHERE collected_hour BETWEEN '{from}' AND '{to}'\"\n",
    )
    .unwrap();
    let marts_arg = marts.display().to_string();
    let (code, _, err) = provision(
        inv,
        &["mart", "load", "broken", "--from", "2021-03-24T19", "--to", "2021-03-24T23", "--marts", &marts_arg],
    );
    assert_eq!(code, 1);
    assert!(err.contains("mart broken"), "{err}");
    assert!(err.contains("no_such_column"), "Hive's message is missing: {err}");
    assert_eq!(count(in_range), 3600, "a failed load changed the mart");

    // An export: a header and the hour's rows, titles byte for byte.
    let csv_path = dir.join("export/h1.csv");
    std::fs::create_dir_all(csv_path.parent().unwrap()).unwrap();
    let (code, _, err) = provision(
        inv,
        &["mart", "export", "dm_gmarket", "--from", "2021-03-24T19", "--csv", &csv_path.display().to_string()],
    );
    assert_eq!(code, 0, "{err}");
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    assert_eq!(reader.headers().unwrap().iter().next(), Some("rank"));
    let exported: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(exported.len(), 1200);
    let landed: std::collections::BTreeSet<String> = rt.block_on(async {
        let client = provision::hdfs::client(&cluster).unwrap();
        let rows = record::from_csv(&landing::read_hdfs(&client, h1).await.unwrap()).unwrap();
        rows.into_iter().map(|r| r.title).collect()
    });
    let titles: std::collections::BTreeSet<String> = exported.iter().map(|r| r[1].to_string()).collect();
    assert_eq!(titles, landed, "titles changed on their way through Hive");

    // Rank movers between 19:00 and the reversed hour: ten per category, the biggest first
    // moved 99 places (rank 1 <-> 100).
    let (code, _, err) =
        provision(inv, &["mart", "load", "rank_movers", "--from", "2021-03-24T19", "--to", "2021-03-24T23"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(count("SELECT count(*) FROM mart_rank_movers"), 120);
    assert_eq!(count("SELECT count(DISTINCT category) FROM mart_rank_movers WHERE abs(moved_up) = 99"), 12);
    assert_eq!(count("SELECT count(*) FROM mart_rank_movers WHERE rank_from + rank_to <> 101"), 0);
    // Another pair of hours whose range overlaps leaves the first pair's movers alone.
    let (code, _, err) =
        provision(inv, &["mart", "load", "rank_movers", "--from", "2021-03-24T19", "--to", "2021-03-24T21"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(count("SELECT count(*) FROM mart_rank_movers WHERE to_hour = '2021-03-24 23:00'"), 120);

    // Price history over 19:00 and the reversed hour (same prices): no change anywhere.
    let (code, _, err) =
        provision(inv, &["mart", "load", "price_history", "--from", "2021-03-24T19", "--to", "2021-03-24T23"]);
    assert_eq!(code, 0, "{err}");
    let h = "SELECT count(*) FROM mart_price_history WHERE collected_at IN ('2021-03-24 19:00', '2021-03-24 23:00')";
    assert!(count(h) >= 2 * 100, "{}", count(h));
    assert_eq!(count("SELECT count(*) FROM mart_price_history WHERE change_won <> 0"), 0);
    assert!(count("SELECT count(*) FROM mart_price_history WHERE change_won = 0") > 0);
}

/// Every listening socket of the topology's daemons is on its own host's address, but two
/// documented exceptions: the shuffle (13562 + n, all interfaces) and a DataNode's internal web
/// server (127.0.0.1, behind its public one).
fn every_daemon_binds_its_own_address(inv: &Path, state: &Path) {
    let cluster = provision::inventory::load(inv).unwrap();
    let out = std::process::Command::new("ss").args(["-ltnpH"]).output().expect("ss (iproute2)");
    let text = String::from_utf8_lossy(&out.stdout);
    let hosts_dir = format!("{}/hosts/", state.display());
    let mut checked = 0;
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(local), Some(users)) = (fields.get(3), fields.get(5)) else { continue };
        let Some(pid) = users.split("pid=").nth(1).and_then(|p| p.split(',').next()) else { continue };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        let Some(rest) = cmdline.split(&hosts_dir).nth(1) else { continue };
        let host = rest.split('/').next().unwrap();
        let address = cluster.host(host).unwrap().address.to_string();
        let (ip, port) = local.rsplit_once(':').unwrap();
        let ip = ip.trim_start_matches('[').trim_end_matches(']').trim_start_matches("::ffff:");
        let port: u16 = port.parse().unwrap();
        let shuffle = port == cluster.host(host).unwrap().ports.mapreduce_shuffle;
        let internal = ip == "127.0.0.1" && cmdline.contains("datanode");
        assert!(
            ip == address || shuffle || internal,
            "{host} listens on {local}: {}",
            &cmdline[..cmdline.len().min(200)]
        );
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} listening sockets of the topology were found");
}

/// `provision client ARGS`: its exit code, stdout and stderr.
fn client(inv: &Path, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    use std::io::Write;
    let mut child = bin()
        .args(["client", "-i"])
        .arg(inv)
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Each of the cluster's clients does one real thing against the running platform, and
/// `provision env` puts them on a shell's PATH.
fn clients_on_the_platform(inv: &Path, state: &Path) {
    let ok = |args: &[&str], stdin: Option<&str>| {
        let (code, out, err) = client(inv, args, stdin);
        assert_eq!(code, 0, "client {args:?}:\n{out}\n{err}");
        out
    };
    let listed = ok(&["hdfs", "dfs", "-ls", "/user/source_data"], None);
    assert!(listed.contains("/user/source_data/"), "{listed}");
    let states = ok(&["hdfs", "haadmin", "-getAllServiceState"], None);
    assert_eq!(states.matches("active").count(), 1, "{states}");
    assert_eq!(states.matches("standby").count(), 1, "{states}");
    let report = ok(&["hdfs", "dfsadmin", "-report"], None);
    assert!(report.contains("Live datanodes (3)"), "{report}");
    let fsck = ok(&["hdfs", "fsck", "/user/source_data"], None);
    assert!(fsck.contains("is HEALTHY"), "{fsck}");
    let nodes = ok(&["yarn", "node", "-list"], None);
    assert!(nodes.contains("Total Nodes:3"), "{nodes}");
    let apps = ok(&["yarn", "application", "-list", "-appStates", "ALL"], None);
    assert!(apps.contains("Total number of applications"), "{apps}");
    let jobs = ok(&["mapred", "job", "-list"], None);
    assert!(jobs.contains("Total jobs:"), "{jobs}");
    let znodes = ok(&["zkCli", "ls", "/hadoop-ha"], None);
    assert!(znodes.contains("[NNHA]"), "{znodes}");
    let databases = ok(&["hive", "-e", "SHOW DATABASES"], None);
    assert!(databases.lines().any(|l| l == "default"), "{databases}");
    let counted = ok(&["hive"], Some("-- from standard input\nSELECT 40 + 2;\n"));
    assert!(counted.lines().any(|l| l == "42"), "{counted}");
    let categories = ok(&["psql", "-tAc", "SELECT count(*) FROM category_kind"], None);
    assert_eq!(categories.trim(), "12", "{categories}");
    let (code, _, err) = client(inv, &["hdfs", "rm", "/"], None);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("hdfs has no subcommand `rm`"), "{err}");

    let (code, exports, err) = provision(inv, &["env"]);
    assert_eq!(code, 0, "{err}");
    assert!(exports.contains("export HADOOP_CONF_DIR='") && exports.contains("export PATH='"), "{exports}");
    let script = format!(
        "{exports}\nhdfs dfs -test -d /user/source_data && zkCli ls / | grep -q zookeeper && echo through-path"
    );
    let out = std::process::Command::new("sh").arg("-c").arg(&script).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("through-path"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(state.join("client/bin/hdfs").exists());
}

/// `down --dry-run` prints the stops and stops nothing.
fn down_dry_run_stops_nothing(inv: &Path) {
    let (code, out, err) = provision(inv, &["down", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("stopped hdfs-namenode.service"), "{out}");
    let (code, out, _) = provision(inv, &["status"]);
    assert_eq!(code, 0, "a daemon stopped after down --dry-run:\n{out}");
}
