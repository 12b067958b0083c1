//! Health of a running platform, read over the network from the controlling machine: each
//! daemon's own endpoint (ZooKeeper's four-letter words, the Hadoop daemons' JMX and REST
//! pages, the databases' wire protocols, a HiveServer2 session), and the verdict over all of
//! them.

use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::hive::client::Session;
use crate::model::{Cluster, Host, Role, Service};
use crate::services::probe::{FS_NAMESYSTEM_STATE, NAMENODE_STATUS};
use crate::services::{self, Probe, supervised};

/// How long one try of a check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a daemon is given to answer, over all its tries, before it is judged down: on a
/// machine busy with other work a running daemon answers late, not never.
pub const RETRY_BUDGET: Duration = Duration::from_secs(30);
/// The pause after a first failed try, doubled after each further one up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(250);
/// The longest pause between two tries.
const MAX_PAUSE: Duration = Duration::from_secs(4);
/// How long HiveServer2's check may take: the first statement of a fresh server compiles and
/// opens its metastore connection, which takes seconds on a busy machine.
const HIVESERVER2_TIMEOUT: Duration = Duration::from_secs(30);

/// When to try again after a failed try: pauses doubling from `first` up to `max`, tries started
/// only within `budget` of the first one (the last one at the budget's end at the latest; it
/// may run its own timeout past it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// How long after the first try another one may start.
    pub budget: Duration,
    /// The pause after the first failed try.
    pub first: Duration,
    /// The longest pause.
    pub max: Duration,
}

impl Backoff {
    /// The health checks' pauses within `budget` ([`RETRY_BUDGET`] but where a test needs less).
    pub const fn within(budget: Duration) -> Self {
        Backoff { budget, first: FIRST_PAUSE, max: MAX_PAUSE }
    }

    /// The pause before the next try after `tries` failed ones, `elapsed` after the first began;
    /// `None` once the budget is spent.
    pub fn pause(&self, tries: u32, elapsed: Duration) -> Option<Duration> {
        let left = self.budget.checked_sub(elapsed).filter(|d| !d.is_zero())?;
        let doubled = self.first.saturating_mul(2u32.saturating_pow(tries.saturating_sub(1)));
        Some(doubled.min(self.max).min(left))
    }
}

/// What came of something tried until it succeeded or the budget was spent.
#[derive(Debug, Clone, PartialEq)]
pub struct Tried<T> {
    /// The successful try's value, or the last try's error.
    pub result: Result<T, String>,
    /// How many tries were made.
    pub tries: u32,
    /// From the first try's start to the last one's end.
    pub elapsed: Duration,
    /// The first try's error, when it failed.
    pub first_error: Option<String>,
}

/// Runs `attempt` until it succeeds, pausing between tries as `backoff` says; each try bounds
/// its own time.
pub async fn retry<T, F, Fut>(backoff: Backoff, mut attempt: F) -> Tried<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let started = tokio::time::Instant::now();
    let mut tries = 0;
    let mut first_error = None;
    loop {
        tries += 1;
        let result = attempt().await;
        let elapsed = started.elapsed();
        match result {
            Err(e) => {
                first_error.get_or_insert_with(|| e.clone());
                match backoff.pause(tries, elapsed) {
                    Some(pause) => tokio::time::sleep(pause).await,
                    None => return Tried { result: Err(e), tries, elapsed, first_error },
                }
            }
            ok => return Tried { result: ok, tries, elapsed, first_error },
        }
    }
}

/// One daemon's state.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// The host.
    pub host: String,
    /// The daemon.
    pub service: Service,
    /// Where it was asked.
    pub endpoint: String,
    /// Whether it answered as it should.
    pub up: bool,
    /// Whether it answered only after failed tries (still up).
    pub slow: bool,
    /// How many tries were made.
    pub tries: u32,
    /// From the first try to the answer, or to the last failed try when down.
    pub seconds: f64,
    /// What it said (its role, counts) or why it is down, with what was tried.
    pub detail: String,
}

/// A daemon's state, as `status` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// It answered at the first try.
    Up,
    /// It answered, after failed tries.
    Slow,
    /// It did not answer within the budget.
    Down,
}

impl State {
    /// Its name: `up`, `slow` or `down`.
    pub fn name(self) -> &'static str {
        match self {
            State::Up => "up",
            State::Slow => "slow",
            State::Down => "down",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

impl Check {
    /// Up, slow (up after failed tries) or down.
    pub fn state(&self) -> State {
        match (self.up, self.slow) {
            (true, false) => State::Up,
            (true, true) => State::Slow,
            (false, _) => State::Down,
        }
    }

    /// What it said, with how long a slow one took to say it.
    pub fn described(&self) -> String {
        if self.slow {
            format!("{} (answered after {} tries, {:.1}s)", self.detail, self.tries, self.seconds)
        } else {
            self.detail.clone()
        }
    }
}

/// Every daemon's state and what is wrong with the whole.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// One per daemon, in inventory order.
    pub checks: Vec<Check>,
    /// What keeps the platform from being healthy; empty when it is.
    pub problems: Vec<String>,
}

impl Health {
    /// Whether every daemon is up and the whole is consistent.
    pub fn healthy(&self) -> bool {
        self.problems.is_empty()
    }

    /// The daemons that answered only after failed tries.
    pub fn slow(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.slow)
    }

    /// The slow daemons in a line (`journalnode on nn01 after 3 tries, 4.2s; ...`), or `None`.
    pub fn slow_summary(&self) -> Option<String> {
        let slow: Vec<String> = self
            .slow()
            .map(|c| format!("{} on {} after {} tries, {:.1}s", c.service, c.host, c.tries, c.seconds))
            .collect();
        (!slow.is_empty()).then(|| slow.join("; "))
    }

    /// The NameNode host reporting `state` (`active` or `standby`).
    pub fn namenode(&self, state: &str) -> Option<&str> {
        self.checks
            .iter()
            .find(|c| c.service == Service::NameNode && c.up && c.detail.starts_with(state))
            .map(|c| c.host.as_str())
    }
}

async fn with_timeout<T>(f: impl std::future::Future<Output = Result<T, String>>) -> Result<T, String> {
    tokio::time::timeout(CHECK_TIMEOUT, f)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {}s", CHECK_TIMEOUT.as_secs())))
}

/// Sends `request` to `address` and reads the answer until `complete` says it is whole, or
/// the server closes the connection.
async fn exchange(address: &str, request: &[u8], complete: fn(&[u8]) -> bool) -> Result<Vec<u8>, String> {
    with_timeout(async {
        let mut s = TcpStream::connect(address).await.map_err(|e| e.to_string())?;
        s.write_all(request).await.map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while !complete(&buf) {
            let n = s.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Ok(buf)
    })
    .await
}

/// A JSON document fetched over HTTP within the check timeout.
pub async fn http_json(url: &str) -> Result<serde_json::Value, String> {
    with_timeout(async {
        let resp = reqwest::get(url).await.map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("HTTP {}", resp.status()));
        }
        resp.json::<serde_json::Value>().await.map_err(|e| e.to_string())
    })
    .await
}

/// The first bean of a Hadoop `/jmx?qry=` answer from `address` (`ip:port`).
async fn jmx(address: &str, query: &str) -> Result<serde_json::Value, String> {
    let v = http_json(&format!("http://{address}/jmx?qry={query}")).await?;
    v["beans"].get(0).cloned().ok_or_else(|| format!("no bean {query}"))
}

/// ZooKeeper's mode, from the `srvr` four-letter word.
pub async fn zookeeper_mode(address: &str) -> Result<String, String> {
    let answer = exchange(address, b"srvr", |_| false).await?;
    let text = String::from_utf8_lossy(&answer);
    text.lines()
        .find_map(|l| l.strip_prefix("Mode: "))
        .map(str::to_string)
        .ok_or_else(|| format!("unexpected answer to srvr: {}", text.lines().next().unwrap_or("(nothing)")))
}

/// The HA state (`active`, `standby`, ...) of the NameNode whose web address is `address`.
async fn namenode_state_at(address: &str) -> Result<String, String> {
    let bean = jmx(address, NAMENODE_STATUS).await?;
    bean["State"].as_str().map(str::to_string).ok_or_else(|| "no State in NameNodeStatus".into())
}

/// A NameNode's HA state (`active`, `standby`, ...).
pub async fn namenode_state(nn: &Host) -> Result<String, String> {
    namenode_state_at(&format!("{}:{}", nn.address, nn.ports.namenode_http)).await
}

/// How many live DataNodes a NameNode lists.
pub async fn live_datanodes(nn: &Host) -> Result<u64, String> {
    let fs = jmx(&format!("{}:{}", nn.address, nn.ports.namenode_http), FS_NAMESYSTEM_STATE).await?;
    fs["NumLiveDataNodes"].as_u64().ok_or_else(|| "no NumLiveDataNodes in FSNamesystemState".into())
}

/// Something accepts connections at `address`.
async fn listening(address: &str) -> Result<String, String> {
    with_timeout(async {
        TcpStream::connect(address).await.map(|_| "listening".to_string()).map_err(|e| e.to_string())
    })
    .await
}

/// Executes `probe` from this machine: what the daemon said when it holds, or why it does not.
pub async fn execute(probe: &Probe) -> Result<String, String> {
    match probe {
        Probe::Zookeeper { address } => {
            let mode = zookeeper_mode(address).await?;
            if ["leader", "follower", "standalone"].contains(&mode.as_str()) {
                Ok(mode)
            } else {
                Err(format!("mode {mode}"))
            }
        }
        Probe::Jmx { address, bean } => jmx(address, bean).await.map(|_| "answering".to_string()),
        Probe::NameNode { address } => {
            let state = namenode_state_at(address).await?;
            if state == "active" || state == "standby" { Ok(state) } else { Err(format!("state {state}")) }
        }
        Probe::ResourceManager { address } => {
            let v = http_json(&format!("http://{address}/ws/v1/cluster/info")).await?;
            let state = v["clusterInfo"]["state"].as_str().unwrap_or("?").to_string();
            if state == "STARTED" { Ok("started".into()) } else { Err(format!("state {state}")) }
        }
        Probe::NodeManager { address } => {
            let v = http_json(&format!("http://{address}/ws/v1/node/info")).await?;
            if v["nodeInfo"]["nodeHealthy"].as_bool() == Some(true) {
                Ok("healthy".into())
            } else {
                Err("unhealthy".into())
            }
        }
        Probe::Listening { address } => listening(address).await,
        Probe::Mysql { address } => {
            let whole_packet = |b: &[u8]| {
                b.len() >= 4 && b.len() >= 4 + (usize::from(b[0]) | usize::from(b[1]) << 8 | usize::from(b[2]) << 16)
            };
            let greeting = exchange(address, b"", whole_packet).await?;
            mysql_greeting(&greeting)
        }
        Probe::Postgres { address } => {
            // SSLRequest: a server answers with one byte, S or N.
            let answer = exchange(address, &[0, 0, 0, 8, 4, 210, 22, 47], |b| !b.is_empty()).await?;
            match answer.first() {
                Some(b'S') | Some(b'N') => Ok("accepting connections".into()),
                _ => Err("not a PostgreSQL answer".into()),
            }
        }
        Probe::HiveServer2 { address } => {
            // A session and a statement that reads the metastore: both Hive daemons answer.
            let addr = address.clone();
            tokio::task::spawn_blocking(move || {
                let mut s = Session::open(&addr, "provision", HIVESERVER2_TIMEOUT).map_err(|e| e.to_string())?;
                let n = s.rows("SHOW DATABASES", HIVESERVER2_TIMEOUT).map_err(|e| e.to_string())?.len();
                Ok(format!("answering SHOW DATABASES ({n})"))
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()))
        }
        Probe::Nifi { address } => http_json(&format!("http://{address}/nifi-api/flow/about"))
            .await
            .map(|v| format!("answering (NiFi {})", v["about"]["version"].as_str().unwrap_or("?"))),
    }
}

/// What a MySQL-protocol server's first packet says: a greeting (4-byte header, protocol 10,
/// then the NUL-ended version), or an error packet (255, a little-endian code, the message);
/// error 1130, this address may not log in, is a server that answers all the same.
fn mysql_greeting(packet: &[u8]) -> Result<String, String> {
    let payload = packet.get(4..).unwrap_or_default();
    match payload {
        [10, rest @ ..] => {
            let version: Vec<u8> = rest.iter().take_while(|b| **b != 0).copied().collect();
            Ok(format!("server {}", String::from_utf8_lossy(&version)))
        }
        [255, low, high, message @ ..] => {
            let code = u16::from_le_bytes([*low, *high]);
            let message = String::from_utf8_lossy(message);
            if code == 1130 { Ok(format!("answering ({message})")) } else { Err(format!("error {code}: {message}")) }
        }
        _ => Err("not a MySQL-protocol greeting".into()),
    }
}

/// One try of `service`'s check on `host`: where it asked, and what it said or why it failed.
/// A NameNode's answer carries how many live DataNodes it lists.
async fn try_once(host: &Host, service: Service) -> (String, Result<String, String>) {
    let probe = services::ready(host, service).probe;
    let mut r = execute(&probe).await;
    if let (Service::NameNode, Ok(state)) = (service, &r) {
        r = live_datanodes(host).await.map(|n| format!("{state}, {n} live DataNodes"));
    }
    (probe.address().to_string(), r)
}

/// `service` on `host` tried until it answers or `backoff`'s budget is spent.
async fn check(host: &Host, service: Service, backoff: Backoff) -> Check {
    let endpoint = std::cell::RefCell::new(String::new());
    let tried = retry(backoff, || async {
        let (ep, r) = try_once(host, service).await;
        *endpoint.borrow_mut() = ep;
        r
    })
    .await;
    judge(host.name.clone(), service, endpoint.into_inner(), tried)
}

/// A daemon's state from its tries: up at the first, slow (up) after failed ones, or down with
/// what was tried.
fn judge(host: String, service: Service, endpoint: String, tried: Tried<String>) -> Check {
    let seconds = tried.elapsed.as_secs_f64();
    let (up, detail) = match tried.result {
        Ok(d) => (true, d),
        Err(e) => {
            let mut detail = format!("{e} ({} tries over {seconds:.1}s", tried.tries);
            if let Some(first) = tried.first_error.filter(|f| *f != e) {
                detail.push_str(&format!("; the first: {first}"));
            }
            detail.push(')');
            (false, detail)
        }
    };
    Check { host, service, endpoint, up, slow: up && tried.tries > 1, tries: tried.tries, seconds, detail }
}

/// Checks every daemon `up` starts, all at once, each given [`RETRY_BUDGET`], and judges the
/// whole.
pub async fn check_all(c: &Cluster) -> Health {
    let mut futures = Vec::new();
    for h in &c.hosts {
        for s in supervised(c, h) {
            futures.push(check(h, s, Backoff::within(RETRY_BUDGET)));
        }
    }
    let checks: Vec<Check> = futures::future::join_all(futures).await;
    let mut problems: Vec<String> = checks
        .iter()
        .filter(|k| !k.up)
        .map(|k| format!("{} on {} is down ({}): {}", k.service, k.host, k.endpoint, k.detail))
        .collect();
    let count = |service: Service, prefix: &str| {
        checks.iter().filter(|k| k.service == service && k.up && k.detail.starts_with(prefix)).count()
    };
    let zk = c.with_role(Role::Zookeeper).count();
    if zk > 1 && count(Service::Zookeeper, "leader") != 1 {
        problems.push(format!(
            "ZooKeeper has {} leaders among {zk} servers; a quorum has exactly one",
            count(Service::Zookeeper, "leader")
        ));
    }
    if c.ha() {
        let (active, standby) = (count(Service::NameNode, "active"), count(Service::NameNode, "standby"));
        if (active, standby) != (1, 1) {
            problems.push(format!("NameNodes: {active} active and {standby} standby; HA needs one of each"));
        }
    }
    let datanodes = c.with_role(Role::DataNode).count();
    for k in checks.iter().filter(|k| k.service == Service::NameNode && k.up && k.detail.starts_with("active")) {
        let live: usize =
            k.detail.split(", ").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(0);
        if live != datanodes {
            problems.push(format!("the active NameNode {} sees {live} live DataNodes of {datanodes}", k.host));
        }
    }
    Health { checks, problems }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    const BUDGET: Backoff = Backoff::within(RETRY_BUDGET);

    /// A try that fails `failures` times, then answers; each try takes `each`.
    fn flaky(
        failures: u32,
        each: Duration,
    ) -> impl FnMut() -> std::pin::Pin<Box<dyn Future<Output = Result<String, String>>>> {
        let tries = std::sync::Arc::new(AtomicU32::new(0));
        move || {
            let tries = tries.clone();
            Box::pin(async move {
                tokio::time::sleep(each).await;
                let n = tries.fetch_add(1, Ordering::SeqCst) + 1;
                if n > failures { Ok("answering".to_string()) } else { Err(format!("connection refused ({n})")) }
            })
        }
    }

    #[test]
    fn pauses_double_up_to_the_longest_and_end_with_the_budget() {
        let pauses: Vec<Duration> = (1..=6).map(|n| BUDGET.pause(n, Duration::ZERO).unwrap()).collect();
        let ms = |v: &[u64]| v.iter().map(|m| Duration::from_millis(*m)).collect::<Vec<_>>();
        assert_eq!(pauses, ms(&[250, 500, 1000, 2000, 4000, 4000]));
        assert_eq!(BUDGET.pause(100, Duration::ZERO), Some(MAX_PAUSE), "no overflow after many tries");
        assert_eq!(
            BUDGET.pause(5, Duration::from_millis(29_000)),
            Some(Duration::from_secs(1)),
            "the last try at the end"
        );
        assert_eq!(BUDGET.pause(5, RETRY_BUDGET), None);
        assert_eq!(BUDGET.pause(1, Duration::from_secs(31)), None);
        assert_eq!(Backoff::within(Duration::ZERO).pause(1, Duration::ZERO), None, "no budget: one try");
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_at_the_first_try_is_up_and_not_slow() {
        let tried = retry(BUDGET, flaky(0, Duration::from_millis(10))).await;
        assert_eq!((tried.tries, tried.elapsed, tried.first_error.clone()), (1, Duration::from_millis(10), None));
        let k = judge("nn01".into(), Service::JournalNode, "127.0.10.1:8480".into(), tried);
        assert_eq!((k.up, k.slow, k.state()), (true, false, State::Up));
        assert_eq!(k.described(), "answering");
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_after_failed_tries_is_slow_with_how_long_it_took() {
        let tried = retry(BUDGET, flaky(3, Duration::ZERO)).await;
        assert_eq!(tried.result.as_deref(), Ok("answering"));
        assert_eq!(tried.tries, 4);
        assert_eq!(tried.elapsed, Duration::from_millis(250 + 500 + 1000));
        let k = judge("nn01".into(), Service::JournalNode, "127.0.10.1:8480".into(), tried);
        assert_eq!((k.up, k.slow, k.state()), (true, true, State::Slow));
        assert_eq!(k.described(), "answering (answered after 4 tries, 1.8s)");
        let h = Health { checks: vec![k], problems: Vec::new() };
        assert!(h.healthy(), "slow is healthy");
        assert_eq!(h.slow_summary().as_deref(), Some("journalnode on nn01 after 4 tries, 1.8s"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_daemon_that_never_answers_is_down_after_the_budget_with_what_was_tried() {
        let started = tokio::time::Instant::now();
        let tried = retry(BUDGET, flaky(u32::MAX, Duration::ZERO)).await;
        assert_eq!(started.elapsed(), RETRY_BUDGET, "tried until the budget's end, no longer");
        // 0, 0.25, 0.75, 1.75, 3.75, then every 4s up to 27.75, and the last at 30.
        assert_eq!(tried.tries, 12);
        let k = judge("nn01".into(), Service::JournalNode, "127.0.10.1:8480".into(), tried);
        assert_eq!((k.up, k.slow, k.state()), (false, false, State::Down));
        assert_eq!(k.detail, "connection refused (12) (12 tries over 30.0s; the first: connection refused (1))");
    }

    #[tokio::test(start_paused = true)]
    async fn tries_that_hang_each_end_at_their_own_timeout_and_the_last_starts_within_the_budget() {
        let hang = || with_timeout(std::future::pending::<Result<String, String>>());
        let tried = retry(Backoff::within(Duration::from_secs(5)), hang).await;
        // Tries at 0, 3.25 and 6.75 s would be three; the third would start past the budget.
        assert_eq!(tried.tries, 2);
        assert_eq!(tried.elapsed, Duration::from_millis(3000 + 250 + 3000));
        assert_eq!(tried.result, Err("no answer within 3s".to_string()));
        assert_eq!(tried.first_error.as_deref(), Some("no answer within 3s"));
        let k = judge("nn01".into(), Service::NameNode, "127.0.10.1:9870".into(), tried);
        assert_eq!(k.detail, "no answer within 3s (2 tries over 6.2s)");
    }

    #[test]
    fn a_mysql_server_answers_with_a_greeting_or_refuses_this_address() {
        assert_eq!(mysql_greeting(&[9, 0, 0, 0, 10, b'1', b'1', 0, 1]), Ok("server 11".to_string()));
        let refused = [&[30, 0, 0, 0, 255, 106, 4][..], b"Host '1.2.3.4' is not allowed"].concat();
        assert_eq!(mysql_greeting(&refused), Ok("answering (Host '1.2.3.4' is not allowed)".to_string()));
        let blocked = [&[30, 0, 0, 0, 255, 105, 4][..], b"Host is blocked"].concat();
        assert_eq!(mysql_greeting(&blocked), Err("error 1129: Host is blocked".to_string()));
        assert!(mysql_greeting(b"HTTP/1.1 400").is_err());
    }

    #[tokio::test]
    async fn a_closed_port_is_reported_down_naming_the_host_service_and_endpoint() {
        // A port nothing listens on: bound, then released.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let c =
            crate::inventory::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/inventory/local.toml")))
                .unwrap();
        let mut host = c.host("nn01").unwrap().clone();
        host.address = "127.0.0.1".parse().unwrap();
        host.ports.journalnode_http = port;
        let k = check(&host, Service::JournalNode, Backoff::within(Duration::from_secs(2))).await;
        assert_eq!((k.host.as_str(), k.service, k.up), ("nn01", Service::JournalNode, false));
        assert_eq!(k.endpoint, format!("127.0.0.1:{port}"));
        assert!(k.tries >= 2, "{k:?}");
        assert!(k.detail.contains(&format!("{} tries over", k.tries)), "{}", k.detail);
    }
}
