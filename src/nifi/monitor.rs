//! What `provision status` shows of NiFi's flow: whether it is deployed, its processors
//! running, stopped and invalid, what is queued, and the latest error bulletins.

use serde::Serialize;

use super::NifiError;
use super::api::{Api, Bulletin};
use super::flow::GROUP;

/// How many bulletins are read.
const BULLETINS: u32 = 20;

/// The flow's state.
#[derive(Debug, Clone, Serialize)]
pub struct FlowStatus {
    /// Whether the flow's group is there.
    pub deployed: bool,
    /// Processors and ports running.
    pub running: u64,
    /// Processors and ports stopped.
    pub stopped: u64,
    /// Processors and ports invalid.
    pub invalid: u64,
    /// Flow files queued in the flow.
    pub queued: u64,
    /// The latest error bulletins, newest first.
    pub errors: Vec<Bulletin>,
}

impl FlowStatus {
    /// Whether the flow is deployed and every part of it runs.
    pub fn running(&self) -> bool {
        self.deployed && self.stopped == 0 && self.invalid == 0 && self.running > 0
    }
}

/// Where flow files wait in the pipeline's flow, and its latest bulletins of any level: what a
/// hand-over that did not end says of NiFi.
pub async fn holding(api: &Api) -> Result<String, NifiError> {
    let root = api.root().await?;
    let Some(group) = api.groups(&root).await?.into_iter().find(|g| g.name == GROUP) else {
        return Ok("the flow is not deployed".into());
    };
    let held = api.holding(&group.id).await?;
    let bulletins: Vec<String> = api
        .bulletins(3)
        .await?
        .iter()
        .map(|b| format!("{} {} {}: {}", b.timestamp, b.level, b.source, b.message))
        .collect();
    let held = if held.is_empty() { "nothing queued".to_string() } else { held.join(", ") };
    Ok(match bulletins.is_empty() {
        true => held,
        false => format!("{held}; latest bulletins: {}", bulletins.join(" | ")),
    })
}

/// The state of the pipeline's flow on the NiFi `api` speaks to.
pub async fn status(api: &Api) -> Result<FlowStatus, NifiError> {
    let root = api.root().await?;
    let group = api.groups(&root).await?.into_iter().find(|g| g.name == GROUP);
    let errors = api.bulletins(BULLETINS).await?.into_iter().filter(|b| b.level == "ERROR").collect();
    Ok(match group {
        Some(g) => FlowStatus {
            deployed: true,
            running: g.running,
            stopped: g.stopped,
            invalid: g.invalid,
            queued: g.queued,
            errors,
        },
        None => FlowStatus { deployed: false, running: 0, stopped: 0, invalid: 0, queued: 0, errors },
    })
}
