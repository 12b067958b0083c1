//! YARN as a proof: Apache's pi estimator, a MapReduce job of two maps and a reduce, submitted
//! through the ResourceManager with the cluster's own client configuration (the
//! ResourceManager host's), timed, and its answer checked. When it fails, the application's
//! own diagnostics from the ResourceManager's REST API say why.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::{VerifyError, fail, log_of};
use crate::engine::transport;
use crate::health;
use crate::model::{Cluster, Host, Role};
use crate::services::launch::hadoop_tool;

/// The job's maps, and the samples each draws.
const MAPS: u32 = 2;
const SAMPLES: u32 = 10;

/// The longest the job may take before it is killed.
const LIMIT: Duration = Duration::from_secs(240);

/// The line of pi's output that holds its answer.
const ANSWER: &str = "Estimated value of Pi is ";

/// What the MapReduce job measured.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    /// The YARN application it ran as.
    pub application: String,
    /// The host it was submitted from.
    pub submitted_from: String,
    /// Its map tasks.
    pub maps: u32,
    /// The samples each map drew.
    pub samples: u32,
    /// Pi as the job estimated it.
    pub estimate: String,
    /// From submission to the client seeing it finished.
    pub seconds: f64,
    /// The application's run time as the ResourceManager counts it.
    pub yarn_seconds: f64,
}

impl Job {
    /// The job in a line.
    pub fn figure(&self) -> String {
        format!(
            "pi {} {} (MapReduce, {}) finished in {:.1}s ({:.1}s in YARN), submitted from {}: Pi is {}",
            self.maps,
            self.samples,
            self.application,
            self.seconds,
            self.yarn_seconds,
            self.submitted_from,
            self.estimate
        )
    }
}

/// The ResourceManager's web address.
fn webapp(rm: &Host) -> String {
    format!("http://{}:{}", rm.address, rm.ports.resourcemanager_webapp)
}

/// The application tagged `tag`, as the ResourceManager reports it (the newest, if several).
async fn application(rm: &Host, tag: &str) -> Result<serde_json::Value, String> {
    let doc = health::http_json(&format!("{}/ws/v1/cluster/apps?applicationTags={tag}", webapp(rm))).await?;
    let apps = doc["apps"]["app"].as_array().cloned().unwrap_or_default();
    apps.into_iter()
        .max_by_key(|a| a["startedTime"].as_i64().unwrap_or(0))
        .ok_or_else(|| format!("no application tagged {tag}"))
}

/// Asks the ResourceManager to kill application `id`.
async fn kill(rm: &Host, id: &str) {
    let url = format!("{}/ws/v1/cluster/apps/{id}/state", webapp(rm));
    let _ = reqwest::Client::new()
        .put(url)
        .json(&serde_json::json!({"state": "KILLED"}))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
}

/// The last `n` lines of `text`, on one line.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// Runs pi through YARN from the ResourceManager's host and checks its answer.
pub async fn job(c: &Cluster) -> Result<Job, VerifyError> {
    let check = "MapReduce job through YARN";
    let rm = c
        .one(Role::ResourceManager)
        .ok_or_else(|| fail(check, "a resourcemanager host", "none", "the inventory's roles"))?;
    // A tag no other application has (YARN keeps tags in lower case).
    let tag = format!("provision-verify-{}", chrono::Utc::now().timestamp_millis());
    let (maps, samples) = (MAPS.to_string(), SAMPLES.to_string());
    let args = ["pi", &format!("-Dmapreduce.job.tags={tag}"), maps.as_str(), samples.as_str()];
    let tool = hadoop_tool(c, rm, "org.apache.hadoop.examples.ExampleDriver", &args);
    let started = Instant::now();
    let ran = tokio::task::block_in_place(|| {
        transport::open(c, &rm.name, false).and_then(|mut t| t.exec(&tool.shell(None), None, LIMIT))
    });
    let seconds = started.elapsed().as_secs_f64();
    let app = application(rm, &tag).await;
    let id = app.as_ref().ok().and_then(|a| a["id"].as_str()).unwrap_or_default().to_string();
    let estimate = ran
        .as_ref()
        .ok()
        .and_then(|out| out.stdout_text().lines().find_map(|l| l.strip_prefix(ANSWER).map(|e| e.trim().to_string())));
    let succeeded = app.as_ref().is_ok_and(|a| a["finalStatus"] == "SUCCEEDED");
    if let (Ok(out), Some(estimate)) = (&ran, &estimate)
        && out.code == 0
        && succeeded
        && estimate.starts_with("3.")
    {
        let yarn_seconds = app.as_ref().map_or(0.0, |a| a["elapsedTime"].as_f64().unwrap_or(0.0) / 1000.0);
        return Ok(Job {
            application: id,
            submitted_from: rm.name.clone(),
            maps: MAPS,
            samples: SAMPLES,
            estimate: estimate.clone(),
            seconds,
            yarn_seconds,
        });
    }
    let client = match &ran {
        Ok(out) => format!(
            "the job client exited {} ({}){}",
            out.code,
            estimate.as_ref().map_or("no estimate printed".to_string(), |e| format!("Pi estimated as {e}")),
            match tail(&String::from_utf8_lossy(&out.stderr), 3) {
                t if t.is_empty() => String::new(),
                t => format!(": {t}"),
            }
        ),
        Err(e) => e.to_string(),
    };
    let yarn = match &app {
        Ok(a) => {
            let state = a["state"].as_str().unwrap_or("?");
            if !matches!(state, "FINISHED" | "FAILED" | "KILLED") {
                kill(rm, &id).await;
            }
            let diagnostics: String = a["diagnostics"].as_str().unwrap_or("").chars().take(800).collect();
            format!(
                "; application {id} {state}, final status {}: {}",
                a["finalStatus"].as_str().unwrap_or("?"),
                if diagnostics.trim().is_empty() { "no diagnostics" } else { diagnostics.trim() }
            )
        }
        Err(e) => format!("; the ResourceManager: {e}"),
    };
    let logs: Vec<String> =
        c.with_role(Role::NodeManager).map(|h| format!("{} on {}", c.on_host(h, &c.paths.yarn_logs), h.name)).collect();
    let diagnostics = if id.is_empty() {
        format!("{}/ws/v1/cluster/apps?applicationTags={tag}", webapp(rm))
    } else {
        format!("{}/ws/v1/cluster/apps/{id}", webapp(rm))
    };
    Err(fail(
        check,
        format!("pi {MAPS} {SAMPLES} submitted through the ResourceManager to succeed with \"{ANSWER}3.…\""),
        format!("{client}{yarn}"),
        format!(
            "the application's diagnostics at {diagnostics}, its containers' logs in the NodeManagers' log folders ({}), and {}",
            logs.join(", "),
            log_of(c, &rm.name, "resourcemanager")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_reads_as_a_line_with_its_time_and_answer() {
        let job = Job {
            application: "application_1_0001".into(),
            submitted_from: "rm01".into(),
            maps: 2,
            samples: 10,
            estimate: "3.80000000000000000000".into(),
            seconds: 21.04,
            yarn_seconds: 17.5,
        };
        assert_eq!(
            job.figure(),
            "pi 2 10 (MapReduce, application_1_0001) finished in 21.0s (17.5s in YARN), submitted from rm01: Pi is 3.80000000000000000000"
        );
        assert_eq!(tail("a\n\nb\nc\nd\n", 2), "c | d");
    }
}
