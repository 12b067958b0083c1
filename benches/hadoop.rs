//! Hadoop's own benchmarks on the local platform, each submitted to its YARN as a real
//! MapReduce job (prints figures; not a test):
//!
//! - TestDFSIO writing, then reading, 4 files of 64 MiB through the HA nameservice, beside this
//!   disk's raw speed measured with `dd` on the DataNodes' filesystem in the same run. A write
//!   is set against the disk's speed divided by the replication factor (every byte HDFS keeps
//!   is written three times to this one disk), a read against one `dd` read; before each read
//!   the page cache of the files read (the DataNodes' block files, `dd`'s file) is dropped
//!   with `posix_fadvise(DONTNEED)`, so both come from the disk.
//! - NNBench creating empty files: the NameNode's operations per second.
//! - TeraGen, TeraSort and TeraValidate over 100 MB, TeraSort's rate set against TestDFSIO's.
//!
//! It brings up its own copy of `inventory/local.toml` (addresses 127.0.30.x, shuffle ports
//! from 23562, state in a temporary folder, no NiFi), so it can run beside the local topology,
//! and takes it down with `down --purge` at the end, also when a step fails. The jobs run on
//! the ResourceManager's host with its client configuration, as `provision verify` runs its pi
//! job, and each job's YARN application is checked in the ResourceManager's REST API. Apache's
//! MapReduce test jar (TestDFSIO, NNBench) is fetched once from Maven Central into
//! `~/.cache/provision/bench` and checked against its published SHA-1; TeraSort is the examples
//! jar of Hadoop's layout.
//!
//! Run: `cargo bench --bench hadoop` (20-30 minutes on 2 shared cores, after the build; `up` is
//! a third of it).

use std::collections::BTreeMap;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use provision::engine::transport::{Local, Output, Transport};
use provision::model::{Cluster, Role};
use provision::services::launch::{Launch, hadoop_tool};
use sha1::{Digest, Sha1};

/// Where the jars come from.
const MAVEN_CENTRAL: &str = "https://repo1.maven.org/maven2";

/// Apache's MapReduce test jar, which holds TestDFSIO and NNBench.
const TESTS_JAR: Jar = Jar {
    group: "org/apache/hadoop",
    artifact: "hadoop-mapreduce-client-jobclient",
    version: "3.5.0",
    classifier: "tests",
};

/// TestDFSIO's main class, run directly (the test jar's driver needs Hadoop's other test jars).
const DFSIO: &str = "org.apache.hadoop.fs.TestDFSIO";

/// NNBench's main class.
const NNBENCH: &str = "org.apache.hadoop.hdfs.NNBench";

/// The examples jar's driver (teragen, terasort, teravalidate).
const EXAMPLE_DRIVER: &str = "org.apache.hadoop.examples.ExampleDriver";

/// TestDFSIO's files.
const DFSIO_FILES: u32 = 4;

/// The MiB of each of TestDFSIO's files.
const DFSIO_MIB: u32 = 64;

/// The MiB `dd` writes and reads.
const DD_MIB: u32 = 256;

/// The times each `dd` runs (its median is kept: the disk is shared with the platform).
const DD_ROUNDS: usize = 3;

/// NNBench's maps.
const NNBENCH_MAPS: u32 = 2;

/// The files each of NNBench's maps creates.
const NNBENCH_FILES: u32 = 500;

/// TeraGen's rows, of 100 bytes each.
const TERA_ROWS: u64 = 1_000_000;

/// The first shuffle port of the copy's NodeManagers (the shuffle listens on every interface,
/// so the local topology's 13562-13564 would collide).
const SHUFFLE_PORT: i64 = 23562;

/// The longest one job may take.
const JOB_LIMIT: Duration = Duration::from_secs(900);

/// A jar on Maven Central.
struct Jar {
    /// Its group, as a path.
    group: &'static str,
    /// Its artifact id.
    artifact: &'static str,
    /// Its version.
    version: &'static str,
    /// Its classifier.
    classifier: &'static str,
}

impl Jar {
    /// Its file name.
    fn file_name(&self) -> String {
        format!("{}-{}-{}.jar", self.artifact, self.version, self.classifier)
    }

    /// Its URL.
    fn url(&self) -> String {
        format!("{MAVEN_CENTRAL}/{}/{}/{}/{}", self.group, self.artifact, self.version, self.file_name())
    }

    /// Its coordinates, as Maven writes them.
    fn coordinates(&self) -> String {
        format!("{}:{}:{}:{}", self.group.replace('/', "."), self.artifact, self.version, self.classifier)
    }
}

/// Runs the release binary on `inv`; whether it succeeded, and its stderr.
fn provision(inv: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_provision")).args(args).arg("-i").arg(inv).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The local inventory made the bench's own in `dir`: its addresses 127.0.30.x, its state in
/// `dir`, its NodeManagers' shuffle on ports of their own, and no NiFi.
fn inventory(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/local.toml")).unwrap();
    let mut doc: toml_edit::DocumentMut = text.parse().unwrap();
    doc["cluster"]["root"] = toml_edit::value("state/hosts/{host}");
    doc["cluster"]["state_dir"] = toml_edit::value("state");
    let mut shuffle = SHUFFLE_PORT;
    for host in doc["hosts"].as_array_of_tables_mut().unwrap().iter_mut() {
        let address = host["address"].as_str().unwrap().replace("127.0.10.", "127.0.30.");
        host["address"] = toml_edit::value(address);
        let roles = host["roles"].as_array_mut().unwrap();
        roles.retain(|r| r.as_str() != Some("nifi"));
        if roles.iter().any(|r| r.as_str() == Some("nodemanager")) {
            if !host.contains_key("ports") {
                host["ports"] = toml_edit::value(toml_edit::InlineTable::new());
            }
            host["ports"]["mapreduce_shuffle"] = toml_edit::value(shuffle);
            shuffle += 1;
        }
    }
    let inv = dir.join("local.toml");
    std::fs::write(&inv, doc.to_string()).unwrap();
    inv
}

/// The bench's platform, up while this lives: dropping it (also on a panic) takes it down and
/// removes its state.
struct Platform {
    /// Its inventory.
    inv: PathBuf,
}

impl Platform {
    /// Brings the platform of `inv` up, without the closing verification.
    fn up(inv: &Path) -> Platform {
        // Made first, so that a half-finished `up` is taken down too.
        let platform = Platform { inv: inv.to_path_buf() };
        let (ok, stderr) = provision(inv, &["up", "--no-verify"]);
        assert!(ok, "up --no-verify of {} failed:\n{stderr}", inv.display());
        platform
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        let (ok, stderr) = provision(&self.inv, &["down", "--purge"]);
        if !ok {
            eprintln!("down --purge of {} failed:\n{stderr}", self.inv.display());
        }
    }
}

/// The SHA-1 of `bytes`, hex.
fn sha1_hex(bytes: &[u8]) -> String {
    hex::encode(Sha1::digest(bytes))
}

/// `jar` in the bench's cache: kept while it matches the SHA-1 Maven Central publishes for it,
/// else downloaded (and checked) again.
fn fetch(jar: &Jar) -> PathBuf {
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(300)).build().unwrap();
    let get = |url: &str| {
        let response = http.get(url).send().and_then(|r| r.error_for_status());
        response.and_then(|r| r.bytes()).unwrap_or_else(|e| panic!("GET {url}: {e}"))
    };
    let url = jar.url();
    let published = get(&format!("{url}.sha1"));
    let expected = String::from_utf8_lossy(&published).split_whitespace().next().unwrap_or_default().to_lowercase();
    let dir = provision::artifacts::cache_dir().join("bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(jar.file_name());
    if std::fs::read(&path).is_ok_and(|b| sha1_hex(&b) == expected) {
        return path;
    }
    let bytes = get(&url);
    let found = sha1_hex(&bytes);
    assert_eq!(found, expected, "{url} does not match its published SHA-1");
    let part = path.with_extension("jar.part");
    std::fs::write(&part, &bytes).unwrap();
    std::fs::rename(&part, &path).unwrap();
    path
}

/// A MapReduce job as it ran.
struct Job {
    /// Its YARN application.
    application: String,
    /// Where its ApplicationMaster ran, as the ResourceManager names the NodeManager.
    am_node: String,
    /// From starting the client to the client's exit.
    seconds: f64,
    /// The application's run time as the ResourceManager counts it.
    yarn_seconds: f64,
    /// Everything the client printed.
    output: String,
}

impl Job {
    /// The job in a few words.
    fn figure(&self) -> String {
        format!(
            "{:.1}s ({:.1}s in YARN as {}, ApplicationMaster on {})",
            self.seconds, self.yarn_seconds, self.application, self.am_node
        )
    }
}

/// `class` with `args` as a Hadoop tool on the ResourceManager's host, logging at INFO (the
/// job client's progress), with `jar` on its classpath, in `workdir`.
fn tool(c: &Cluster, workdir: &Path, class: &str, args: &[&str], jar: Option<&Path>) -> Launch {
    let rm = c.one(Role::ResourceManager).unwrap();
    let mut launch = hadoop_tool(c, rm, class, args);
    for arg in &mut launch.command {
        if arg.starts_with("-Dhadoop.root.logger=") {
            *arg = "-Dhadoop.root.logger=INFO,console".into();
        }
    }
    if let Some(jar) = jar {
        let cp = launch.command.iter().position(|a| a == "-cp").unwrap() + 1;
        launch.command[cp] = format!("{}:{}", launch.command[cp], jar.display());
    }
    launch.workdir = workdir.display().to_string();
    launch
}

/// Runs `launch` on its host and checks that it exited 0.
fn run(launch: &Launch, limit: Duration) -> Output {
    let out = Local::new(&launch.host).exec(&launch.shell(None), None, limit).unwrap();
    assert_eq!(out.code, 0, "{} exited {}:\n{}", launch.description, out.code, out.stderr_tail(40));
    out
}

/// Runs a MapReduce job (see [`tool`]) and checks that it ran on the platform's YARN: the
/// client names a YARN job (not a local one), and the ResourceManager knows its application as
/// a MapReduce one that succeeded.
fn job(c: &Cluster, workdir: &Path, class: &str, args: &[&str], jar: Option<&Path>) -> Job {
    let launch = tool(c, workdir, class, args, jar);
    eprintln!("running {class} {}", args.join(" "));
    let started = Instant::now();
    let out = run(&launch, JOB_LIMIT);
    let seconds = started.elapsed().as_secs_f64();
    let output = format!("{}{}", out.stdout_text(), String::from_utf8_lossy(&out.stderr));
    let id = output
        .lines()
        .find_map(|l| l.split("Running job: ").nth(1))
        .unwrap_or_else(|| panic!("{} named no job:\n{}", launch.description, out.stderr_tail(40)))
        .trim()
        .to_string();
    assert!(!id.contains("local"), "{id} ran in the client, not on YARN");
    let application = id.replacen("job_", "application_", 1);
    let rm = c.one(Role::ResourceManager).unwrap();
    let url = format!("http://{}:{}/ws/v1/cluster/apps/{application}", rm.address, rm.ports.resourcemanager_webapp);
    let doc: serde_json::Value = reqwest::blocking::get(&url).and_then(|r| r.json()).unwrap();
    let app = &doc["app"];
    assert_eq!(app["applicationType"], "MAPREDUCE", "{url}: {doc}");
    assert_eq!(app["finalStatus"], "SUCCEEDED", "{url}: {doc}");
    let am_address = app["amHostHttpAddress"].as_str().unwrap_or_default().split(':').next().unwrap_or_default();
    let am_node = c.hosts.iter().find(|h| h.address.to_string() == am_address).map_or(am_address, |h| &h.name);
    Job {
        application,
        am_node: am_node.to_string(),
        seconds,
        yarn_seconds: app["elapsedTime"].as_f64().unwrap_or(f64::NAN) / 1000.0,
        output,
    }
}

/// The `key: value` lines of a benchmark's result file (the value after the last `: `).
fn fields(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.rsplit_once(": "))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// The number in field `key` of `fields`.
fn number(fields: &BTreeMap<String, String>, key: &str) -> f64 {
    let value = fields.get(key).unwrap_or_else(|| panic!("no {key:?} among {fields:?}"));
    value.replace(',', "").parse().unwrap_or_else(|_| panic!("{key}: {value:?} is no number"))
}

/// What TestDFSIO measured in one run.
struct Dfsio {
    /// The job it ran as.
    job: Job,
    /// Its MiB in total.
    mib: f64,
    /// The MiB over the sum of every map's I/O time: one map's rate.
    throughput: f64,
    /// The mean of the maps' own rates.
    io_rate: f64,
    /// The job's time as TestDFSIO counts it.
    exec_seconds: f64,
}

impl Dfsio {
    /// All its MiB over the job's time: the rate the platform sustained, job start included.
    fn aggregate(&self) -> f64 {
        self.mib / self.exec_seconds
    }
}

/// TestDFSIO `mode` (`-write` or `-read`) over its files, its figures from its result file.
fn dfsio(c: &Cluster, work: &Path, jar: &Path, mode: &str) -> Dfsio {
    let result = work.join(format!("TestDFSIO{mode}.log"));
    let (files, size) = (DFSIO_FILES.to_string(), format!("{DFSIO_MIB}MB"));
    let args = [mode, "-nrFiles", &files, "-size", &size, "-resFile", &result.display().to_string()];
    let job = job(c, work, DFSIO, &args, Some(jar));
    let f = fields(&std::fs::read_to_string(&result).unwrap());
    Dfsio {
        mib: number(&f, "Total MBytes processed"),
        throughput: number(&f, "Throughput mb/sec"),
        io_rate: number(&f, "Average IO rate mb/sec"),
        exec_seconds: number(&f, "Test exec time sec"),
        job,
    }
}

/// Drops this machine's page cache of `path`, or of every file below it (dirty pages written
/// out first), so that the next read of them comes from the disk. Returns the bytes evicted.
fn evict(path: &Path) -> u64 {
    // A file or folder the DataNode moved or removed meanwhile (a block being finalised).
    let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
    if path.is_dir() {
        return match std::fs::read_dir(path) {
            Ok(entries) => entries.flatten().map(|e| evict(&e.path())).sum(),
            Err(e) if gone(&e) => 0,
            Err(e) => panic!("{}: {e}", path.display()),
        };
    }
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if gone(&e) => return 0,
        Err(e) => panic!("{}: {e}", path.display()),
    };
    file.sync_all().unwrap();
    // SAFETY: the descriptor is open for the duration of the call; the advice changes no memory.
    let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    assert_eq!(rc, 0, "posix_fadvise({})", path.display());
    file.metadata().unwrap().len()
}

/// Runs `dd` with `args` over `mib` MiB; its rate in MiB/s, timed here.
fn dd(args: &[&str], mib: u32) -> f64 {
    let started = Instant::now();
    let out = Command::new("dd").args(args).output().unwrap();
    assert!(out.status.success(), "dd {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    f64::from(mib) / started.elapsed().as_secs_f64()
}

/// This disk's rates in MiB/s, on the DataNodes' filesystem (medians).
struct Disk {
    /// Buffered writes, flushed before dd exits (`conv=fsync`).
    write: f64,
    /// Writes past the page cache (`oflag=direct`).
    write_direct: f64,
    /// Reads of the file after its page cache was dropped.
    read: f64,
}

/// The middle one of `rates`.
fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// Measures the disk with a file at `file`, each write to a new file, removed after.
fn disk(file: &Path) -> Disk {
    let (of, count) = (format!("of={}", file.display()), format!("count={DD_MIB}"));
    let (mut write, mut write_direct, mut read) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..DD_ROUNDS {
        write.push(dd(&["if=/dev/zero", &of, "bs=1M", &count, "conv=fsync"], DD_MIB));
        evict(file);
        read.push(dd(&[&format!("if={}", file.display()), "of=/dev/null", "bs=1M"], DD_MIB));
        std::fs::remove_file(file).unwrap();
        write_direct.push(dd(&["if=/dev/zero", &of, "bs=1M", &count, "oflag=direct"], DD_MIB));
        std::fs::remove_file(file).unwrap();
    }
    Disk { write: median(write), write_direct: median(write_direct), read: median(read) }
}

/// What NNBench measured.
struct NnBench {
    /// The job it ran as.
    job: Job,
    /// Creates and closes per second, as NNBench counts them.
    tps: f64,
    /// Files created.
    successful: f64,
    /// The mean time of one create and write, in ms.
    create_ms: f64,
    /// The mean time of one close, in ms.
    close_ms: f64,
}

/// NNBench's create_write of empty files, starting its maps together a little after launch.
fn nnbench(c: &Cluster, work: &Path, jar: &Path) -> NnBench {
    let start = (chrono::Utc::now() + chrono::Duration::seconds(30)).timestamp().to_string();
    let (maps, files) = (NNBENCH_MAPS.to_string(), NNBENCH_FILES.to_string());
    let args = [
        "-operation",
        "create_write",
        "-maps",
        &maps,
        "-reduces",
        "1",
        "-numberOfFiles",
        &files,
        "-bytesToWrite",
        "0",
        // NNBench's own default, 1 byte, is below the NameNode's smallest block.
        "-blockSize",
        "134217728",
        "-bytesPerChecksum",
        "512",
        "-baseDir",
        "/benchmarks/NNBench",
        "-startTime",
        &start,
    ];
    let job = job(c, work, NNBENCH, &args, Some(jar));
    let f = fields(&std::fs::read_to_string(work.join("NNBench_results.log")).unwrap());
    NnBench {
        tps: number(&f, "TPS: Create/Write/Close"),
        successful: number(&f, "Successful file operations"),
        create_ms: number(&f, "Avg Lat (ms): Create/Write"),
        close_ms: number(&f, "Avg Lat (ms): Close"),
        job,
    }
}

/// TeraGen, TeraSort and TeraValidate, as they ran.
struct Tera {
    /// TeraGen's job.
    generate: Job,
    /// TeraSort's job.
    sort: Job,
    /// TeraValidate's job.
    validate: Job,
    /// The rows' checksum as TeraGen counted it, and as TeraValidate found it in the sorted output.
    checksums: (u64, u64),
}

/// The rows' MiB.
fn tera_mib() -> f64 {
    TERA_ROWS as f64 * 100.0 / 1048576.0
}

/// The sum of the rows' CRCs that TeraGen counts (its `CHECKSUM` counter).
fn generated_checksum(job: &Job) -> u64 {
    let value = job.output.lines().find_map(|l| l.trim().strip_prefix("CHECKSUM="));
    value.and_then(|v| v.trim().parse().ok()).unwrap_or_else(|| panic!("TeraGen printed no CHECKSUM counter"))
}

/// TeraGen's rows sorted by TeraSort and checked by TeraValidate, whose report must hold
/// nothing but the checksum.
fn tera(c: &Cluster, work: &Path) -> Tera {
    let rows = TERA_ROWS.to_string();
    let (input, output, report) = ("/benchmarks/tera/in", "/benchmarks/tera/out", "/benchmarks/tera/report");
    let generate = job(c, work, EXAMPLE_DRIVER, &["teragen", "-Dmapreduce.job.maps=2", &rows, input], None);
    let sort = job(c, work, EXAMPLE_DRIVER, &["terasort", "-Dmapreduce.job.reduces=2", input, output], None);
    let validate = job(c, work, EXAMPLE_DRIVER, &["teravalidate", output, report], None);
    let cat = tool(c, work, "org.apache.hadoop.fs.FsShell", &["-cat", &format!("{report}/part-r-*")], None);
    let text = run(&cat, Duration::from_secs(120)).stdout_text();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let checksum = match lines.as_slice() {
        [line] => line.strip_prefix("checksum").map(|v| u64::from_str_radix(v.trim(), 16).unwrap()),
        _ => None,
    };
    let validated = checksum.unwrap_or_else(|| panic!("TeraValidate found the output unsorted or incomplete:\n{text}"));
    Tera { checksums: (generated_checksum(&generate), validated), generate, sort, validate }
}

/// The machine's load average over the last minute.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap().split_whitespace().next().unwrap_or("?").to_string()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path());
    let jar = fetch(&TESTS_JAR);
    println!("jar: {} ({})", TESTS_JAR.coordinates(), jar.display());
    println!("machine: {} cores, load average {} before up", std::thread::available_parallelism().unwrap(), load());

    let started = Instant::now();
    let platform = Platform::up(&inv);
    println!("up --no-verify: {:.1}s", started.elapsed().as_secs_f64());
    let c = provision::inventory::load(&inv).unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let replication = f64::from(c.hdfs.replication);

    // The disk, in a file beside the first DataNode's blocks.
    let datanodes: Vec<PathBuf> =
        c.with_role(Role::DataNode).map(|h| PathBuf::from(c.on_host(h, &c.paths.datanode_dir))).collect();
    let dd_file = datanodes[0].with_file_name("dd-bench");
    let device = |p: &Path| std::fs::metadata(p).unwrap().dev();
    assert!(
        datanodes.iter().all(|d| device(d) == device(dd_file.parent().unwrap())),
        "the DataNodes' folders are on several filesystems"
    );
    let disk = disk(&dd_file);

    let write = dfsio(&c, &work, &jar, "-write");
    let evicted: u64 = datanodes.iter().map(|d| evict(d)).sum();
    let read = dfsio(&c, &work, &jar, "-read");
    let nn = nnbench(&c, &work, &jar);
    let tera = tera(&c, &work);
    println!("load average {} after the jobs", load());
    drop(platform);

    let per_copy = disk.write / replication;
    println!();
    println!("dd on the DataNodes' filesystem ({DD_MIB} MiB, bs=1M, median of {DD_ROUNDS}):");
    println!(
        "  write conv=fsync {:.0} MiB/s, oflag=direct {:.0} MiB/s; / replication {replication} = {per_copy:.0} MiB/s",
        disk.write, disk.write_direct
    );
    println!("  read after dropping its page cache (posix_fadvise DONTNEED) {:.0} MiB/s", disk.read);
    for (name, run, against, dd_name) in
        [("write", &write, per_copy, "dd's write / replication"), ("read", &read, disk.read, "dd's read")]
    {
        println!("TestDFSIO {name}, {DFSIO_FILES} x {DFSIO_MIB} MiB ({:.0} MiB): {}", run.mib, run.job.figure());
        println!(
            "  throughput {:.1} MiB/s, average IO rate {:.1} MiB/s (per map), exec {:.1}s, aggregate {:.1} MiB/s",
            run.throughput,
            run.io_rate,
            run.exec_seconds,
            run.aggregate()
        );
        println!(
            "  against {dd_name} ({against:.0} MiB/s): throughput {:.2}x, aggregate {:.2}x",
            run.throughput / against,
            run.aggregate() / against
        );
    }
    println!("  (before the read, the page cache of {:.0} MiB of block files was dropped)", evicted as f64 / 1048576.0);
    println!("NNBench create_write, {NNBENCH_MAPS} maps x {NNBENCH_FILES} empty files: {}", nn.job.figure());
    println!(
        "  {:.0} files, {:.0} TPS (create/write/close), latency create {:.1} ms, close {:.1} ms",
        nn.successful, nn.tps, nn.create_ms, nn.close_ms
    );
    let sort_rate = tera_mib() / tera.sort.seconds;
    println!("TeraGen {TERA_ROWS} rows ({:.1} MiB): {}", tera_mib(), tera.generate.figure());
    println!("TeraSort: {}; {sort_rate:.1} MiB/s", tera.sort.figure());
    println!(
        "TeraValidate: {}; checksum {:x} (TeraGen's {:x}: {})",
        tera.validate.figure(),
        tera.checksums.1,
        tera.checksums.0,
        if tera.checksums.0 == tera.checksums.1 { "the same" } else { "DIFFERENT" }
    );
    println!("  TeraSort {sort_rate:.1} MiB/s = {:.2}x TestDFSIO's aggregate write", sort_rate / write.aggregate());

    println!();
    println!("summary (MiB/s; replication {replication}):");
    println!(
        "  dd write {:.0} (direct {:.0}), / {replication} = {per_copy:.0}; dd read {:.0}",
        disk.write, disk.write_direct, disk.read
    );
    println!(
        "  TestDFSIO write {:.1}/map, {:.1} aggregate ({:.2}x dd/{replication}); read {:.1}/map, {:.1} aggregate ({:.2}x dd)",
        write.throughput,
        write.aggregate(),
        write.aggregate() / per_copy,
        read.throughput,
        read.aggregate(),
        read.aggregate() / disk.read
    );
    println!(
        "  NNBench {:.0} TPS; TeraSort {:.1} MiB ({:.1}s) = {sort_rate:.1} MiB/s",
        nn.tps,
        tera_mib(),
        tera.sort.seconds
    );
    assert_eq!(tera.checksums.0, tera.checksums.1, "TeraValidate's checksum is not TeraGen's");
}
