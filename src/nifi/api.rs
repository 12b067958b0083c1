//! The calls of NiFi's REST API that provision makes (`/nifi-api`, plain HTTP on the NiFi
//! host's own address; no login, as this NiFi has no login providers).

use std::time::Duration;

use serde_json::{Value, json};

use super::NifiError;

/// NiFi's REST API at one address.
pub struct Api {
    base: String,
    client: reqwest::Client,
}

/// A process group as the flow lists it.
#[derive(Debug, Clone)]
pub struct Group {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its comments, where provision keeps the digest of the flow it deployed.
    pub comments: String,
    /// Its revision.
    pub version: i64,
    /// Processors and ports running.
    pub running: u64,
    /// Processors and ports stopped.
    pub stopped: u64,
    /// Processors and ports invalid.
    pub invalid: u64,
    /// Flow files queued in it.
    pub queued: u64,
}

/// One of NiFi's bulletins (a component's warning or error).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Bulletin {
    /// Its id, rising with time.
    pub id: i64,
    /// When, as NiFi wrote it.
    pub timestamp: String,
    /// `ERROR`, `WARNING`, ...
    pub level: String,
    /// The component's name.
    pub source: String,
    /// The message.
    pub message: String,
}

impl Api {
    /// The API of the NiFi at `address` (`host:port`).
    pub fn new(address: &str) -> Api {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .no_proxy()
            .build()
            .expect("a plain HTTP client");
        Api { base: format!("http://{address}/nifi-api"), client }
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends `request`, its answer as JSON (null when empty).
    async fn send(&self, url: String, request: reqwest::RequestBuilder) -> Result<Value, NifiError> {
        let response = request.send().await.map_err(|source| NifiError::Http { url: url.clone(), source })?;
        let status = response.status();
        let text = response.text().await.map_err(|source| NifiError::Http { url: url.clone(), source })?;
        if !status.is_success() {
            let body = text.chars().take(300).collect();
            return Err(NifiError::Status { url, status: status.as_u16(), body });
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Result<Value, NifiError> {
        let url = self.url(path);
        self.send(url.clone(), self.client.get(&url)).await
    }

    /// `POST path` with `body`.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, NifiError> {
        let url = self.url(path);
        self.send(url.clone(), self.client.post(&url).json(body)).await
    }

    /// `PUT path` with `body`.
    pub async fn put(&self, path: &str, body: &Value) -> Result<Value, NifiError> {
        let url = self.url(path);
        self.send(url.clone(), self.client.put(&url).json(body)).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Result<Value, NifiError> {
        let url = self.url(path);
        self.send(url.clone(), self.client.delete(&url)).await
    }

    /// The version NiFi reports.
    pub async fn version(&self) -> Result<String, NifiError> {
        let about = self.get("/flow/about").await?;
        about["about"]["version"]
            .as_str()
            .map(str::to_string)
            .ok_or(NifiError::Answer { url: self.url("/flow/about"), what: "version" })
    }

    /// The root process group's id.
    pub async fn root(&self) -> Result<String, NifiError> {
        let flow = self.get("/flow/process-groups/root").await?;
        id_of(&flow["processGroupFlow"], &self.url("/flow/process-groups/root"))
    }

    /// The process groups directly in group `parent`.
    pub async fn groups(&self, parent: &str) -> Result<Vec<Group>, NifiError> {
        let path = format!("/process-groups/{parent}/process-groups");
        let doc = self.get(&path).await?;
        let list = doc["processGroups"].as_array().cloned().unwrap_or_default();
        Ok(list
            .iter()
            .map(|g| Group {
                id: g["id"].as_str().unwrap_or_default().to_string(),
                name: g["component"]["name"].as_str().unwrap_or_default().to_string(),
                comments: g["component"]["comments"].as_str().unwrap_or_default().to_string(),
                version: g["revision"]["version"].as_i64().unwrap_or(0),
                running: g["runningCount"].as_u64().unwrap_or(0),
                stopped: g["stoppedCount"].as_u64().unwrap_or(0),
                invalid: g["invalidCount"].as_u64().unwrap_or(0),
                queued: g["status"]["aggregateSnapshot"]["flowFilesQueued"].as_u64().unwrap_or(0),
            })
            .collect())
    }

    /// Creates a component under `path` (a group's `processors`, `input-ports`, ...); its id.
    pub async fn create(&self, path: &str, component: Value) -> Result<String, NifiError> {
        let made = self.post(path, &json!({"revision": {"version": 0}, "component": component})).await?;
        id_of(&made, &self.url(path))
    }

    /// Sets the comments of group `id` to `comments`.
    pub async fn mark(&self, id: &str, comments: &str) -> Result<(), NifiError> {
        let path = format!("/process-groups/{id}");
        let group = self.get(&path).await?;
        let version = group["revision"]["version"].as_i64().unwrap_or(0);
        let body = json!({"revision": {"version": version}, "component": {"id": id, "comments": comments}});
        self.put(&path, &body).await.map(|_| ())
    }

    /// Schedules every component of group `id` to run, or stops them.
    pub async fn schedule(&self, id: &str, running: bool) -> Result<(), NifiError> {
        let state = if running { "RUNNING" } else { "STOPPED" };
        self.put(&format!("/flow/process-groups/{id}"), &json!({"id": id, "state": state})).await.map(|_| ())
    }

    /// Removes group `id` (stopped, its queues empty) at its current revision.
    pub async fn remove(&self, id: &str) -> Result<(), NifiError> {
        let group = self.get(&format!("/process-groups/{id}")).await?;
        let version = group["revision"]["version"].as_i64().unwrap_or(0);
        self.delete(&format!("/process-groups/{id}?version={version}&disconnectedNodeAcknowledged=false"))
            .await
            .map(|_| ())
    }

    /// The processors and input ports in group `id`, with the validation errors of each one
    /// that is invalid.
    pub async fn components(&self, id: &str) -> Result<Vec<(String, Vec<String>)>, NifiError> {
        let mut out = Vec::new();
        for (kind, list) in [("processors", "processors"), ("input-ports", "inputPorts")] {
            let doc = self.get(&format!("/process-groups/{id}/{kind}")).await?;
            for c in doc[list].as_array().cloned().unwrap_or_default() {
                let errors = c["component"]["validationErrors"]
                    .as_array()
                    .map(|e| e.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                out.push((c["component"]["name"].as_str().unwrap_or_default().to_string(), errors));
            }
        }
        Ok(out)
    }

    /// Threads still active in group `id`.
    pub async fn active_threads(&self, id: &str) -> Result<u64, NifiError> {
        let status = self.get(&format!("/flow/process-groups/{id}/status")).await?;
        Ok(status["processGroupStatus"]["aggregateSnapshot"]["activeThreadCount"].as_u64().unwrap_or(0))
    }

    /// Where flow files wait in group `id`: each connection holding some (by its destination),
    /// and each processor with a thread at work, as `N queued before NAME` and `NAME at work
    /// (N threads)`.
    pub async fn holding(&self, id: &str) -> Result<Vec<String>, NifiError> {
        let status = self.get(&format!("/flow/process-groups/{id}/status?recursive=true")).await?;
        let snapshot = &status["processGroupStatus"]["aggregateSnapshot"];
        let list = |key: &str| snapshot[key].as_array().cloned().unwrap_or_default();
        let queued = list("connectionStatusSnapshots").into_iter().filter_map(|c| {
            let c = &c["connectionStatusSnapshot"];
            let n = c["flowFilesQueued"].as_u64().filter(|n| *n > 0)?;
            Some(format!("{n} queued before '{}'", c["destinationName"].as_str().unwrap_or("?")))
        });
        let working = list("processorStatusSnapshots").into_iter().filter_map(|p| {
            let p = &p["processorStatusSnapshot"];
            let n = p["activeThreadCount"].as_u64().filter(|n| *n > 0)?;
            Some(format!("'{}' at work ({n} threads)", p["name"].as_str().unwrap_or("?")))
        });
        Ok(queued.chain(working).collect())
    }

    /// The latest bulletins, newest first.
    pub async fn bulletins(&self, limit: u32) -> Result<Vec<Bulletin>, NifiError> {
        let board = self.get(&format!("/flow/bulletin-board?limit={limit}")).await?;
        let mut out: Vec<Bulletin> = board["bulletinBoard"]["bulletins"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|b| Bulletin {
                id: b["id"].as_i64().unwrap_or(0),
                timestamp: b["bulletin"]["timestamp"].as_str().unwrap_or_default().to_string(),
                level: b["bulletin"]["level"].as_str().unwrap_or_default().to_string(),
                source: b["bulletin"]["sourceName"].as_str().unwrap_or_default().to_string(),
                message: b["bulletin"]["message"].as_str().unwrap_or_default().to_string(),
            })
            .collect();
        out.reverse();
        Ok(out)
    }

    /// The id of the input port named `name` that site-to-site clients may send to.
    pub async fn remote_input_port(&self, name: &str) -> Result<Option<String>, NifiError> {
        let site = self.get("/site-to-site").await?;
        Ok(site["controller"]["inputPorts"]
            .as_array()
            .and_then(|ports| ports.iter().find(|p| p["name"] == name))
            .and_then(|p| p["id"].as_str())
            .map(str::to_string))
    }
}

/// The `id` of a component in NiFi's answer from `url`.
fn id_of(doc: &Value, url: &str) -> Result<String, NifiError> {
    doc["id"].as_str().map(str::to_string).ok_or(NifiError::Answer { url: url.to_string(), what: "id" })
}
