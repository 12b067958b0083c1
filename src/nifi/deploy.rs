//! The flow deployed on NiFi idempotently: a group named [`GROUP`] whose comments name the
//! wanted flow's digest and all of its components is left as it is (started if something stopped
//! it); one holding another flow is stopped and, once nothing runs in it and its queues are
//! empty, removed and replaced. A group left half made by a failed deployment is removed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::json;

use super::NifiError;
use super::api::{Api, Group};
use super::flow::{Flow, GROUP, INPUT_PORT, LEFT};

/// What deploying did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Deployed {
    /// The flow was there and running.
    Unchanged,
    /// The flow was there, and stopped parts were started.
    Started,
    /// The flow was created.
    Created,
    /// Another flow was there and was replaced.
    Replaced,
}

impl Deployed {
    /// Its word in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Deployed::Unchanged => "unchanged",
            Deployed::Started => "started",
            Deployed::Created => "created",
            Deployed::Replaced => "replaced",
        }
    }
}

/// How long a replaced group's processors get to finish what they are doing.
const STOP_PATIENCE: Duration = Duration::from_secs(60);

/// Deploys `flow` on the NiFi `api` speaks to.
pub async fn deploy(api: &Api, flow: &Flow) -> Result<Deployed, NifiError> {
    let root = api.root().await?;
    let groups: Vec<Group> = api.groups(&root).await?.into_iter().filter(|g| g.name == GROUP).collect();
    let marker = flow.marker();
    if let [current] = groups.as_slice()
        && current.comments == marker
        && api.components(&current.id).await?.len() == flow.processors.len() + 1
    {
        valid(api, &current.id).await?;
        if current.stopped == 0 && current.invalid == 0 {
            return Ok(Deployed::Unchanged);
        }
        api.schedule(&current.id, true).await?;
        return Ok(Deployed::Started);
    }
    for old in &groups {
        retire(api, old).await?;
    }
    let group = create(api, &root, flow, &marker).await?;
    valid(api, &group).await?;
    Ok(if groups.is_empty() { Deployed::Created } else { Deployed::Replaced })
}

/// Whether every component of group `id` is valid; the invalid ones, with NiFi's reasons.
async fn valid(api: &Api, id: &str) -> Result<(), NifiError> {
    let invalid: Vec<String> = api
        .components(id)
        .await?
        .into_iter()
        .filter(|(_, errors)| !errors.is_empty())
        .map(|(name, errors)| format!("{name}: {}", errors.join("; ")))
        .collect();
    if invalid.is_empty() {
        return Ok(());
    }
    Err(NifiError::Unsafe(format!("the pipeline's flow has invalid processors:\n  {}", invalid.join("\n  "))))
}

/// Stops group `old`, waits for its threads to end, and removes it if its queues are empty.
async fn retire(api: &Api, old: &Group) -> Result<(), NifiError> {
    api.schedule(&old.id, false).await?;
    let started = Instant::now();
    while api.active_threads(&old.id).await? > 0 {
        if started.elapsed() > STOP_PATIENCE {
            return Err(NifiError::Unsafe(format!(
                "the deployed flow's group {} still has processors running {}s after it was stopped; it was not replaced",
                old.id,
                STOP_PATIENCE.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let queued = api.groups(&api.root().await?).await?.into_iter().find(|g| g.id == old.id).map_or(0, |g| g.queued);
    if queued > 0 {
        // Left running as it was, so the hours it holds still go on.
        api.schedule(&old.id, true).await?;
        return Err(NifiError::Unsafe(format!(
            "the deployed flow's group {} holds {queued} queued flow files (hours not yet in the mart), so it was not replaced and runs on as it was\nhint: let it empty its queues (NiFi's UI shows them), or empty them there, then run `provision up` again",
            old.id
        )));
    }
    api.remove(&old.id).await
}

/// Creates the group with `flow` below `root` and starts it; its id. A group left half made is
/// removed.
async fn create(api: &Api, root: &str, flow: &Flow, marker: &str) -> Result<String, NifiError> {
    let group = api
        .create(
            &format!("/process-groups/{root}/process-groups"),
            json!({"name": GROUP, "position": {"x": LEFT, "y": 0.0}}),
        )
        .await?;
    let filled = fill(api, &group, flow, marker).await;
    if filled.is_err() {
        let _ = api.schedule(&group, false).await;
        let _ = api.remove(&group).await;
    }
    filled.map(|()| group)
}

/// Puts `flow`'s port, processors and connections into the new group `group`, then its
/// `marker` (a group is marked only once whole), and starts it.
async fn fill(api: &Api, group: &str, flow: &Flow, marker: &str) -> Result<(), NifiError> {
    let mut ids = BTreeMap::new();
    let port = api
        .create(
            &format!("/process-groups/{group}/input-ports"),
            json!({
                "name": INPUT_PORT,
                "allowRemoteAccess": true,
                "position": {"x": flow.port_position.0, "y": flow.port_position.1}
            }),
        )
        .await?;
    ids.insert(INPUT_PORT, (port, "INPUT_PORT"));
    for p in &flow.processors {
        let id = api
            .create(
                &format!("/process-groups/{group}/processors"),
                json!({
                    "type": p.kind,
                    "name": p.name,
                    "position": {"x": p.position.0, "y": p.position.1},
                    "config": {
                        "properties": p.properties,
                        "autoTerminatedRelationships": p.auto_terminated,
                        "penaltyDuration": p.penalty,
                        "schedulingStrategy": "TIMER_DRIVEN",
                        "schedulingPeriod": "0 sec",
                    },
                }),
            )
            .await?;
        ids.insert(p.key, (id, "PROCESSOR"));
    }
    for c in &flow.connections {
        let (from, from_kind) = &ids[c.from];
        let (to, to_kind) = &ids[c.to];
        api.create(
            &format!("/process-groups/{group}/connections"),
            json!({
                "source": {"id": from, "groupId": group, "type": from_kind},
                "destination": {"id": to, "groupId": group, "type": to_kind},
                "selectedRelationships": c.relationships,
            }),
        )
        .await?;
    }
    api.mark(group, marker).await?;
    api.schedule(group, true).await
}
