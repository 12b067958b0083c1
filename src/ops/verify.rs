//! `status` and `verify`: health read from the daemons and NiFi's flow, and the proofs that the
//! platform works.

use super::{Context, Events, runtime};
use crate::health::{self, Health};
use crate::nifi::NifiError;
use crate::nifi::api::Api;
use crate::nifi::monitor::FlowStatus;
use crate::secrets::Secrets;
use crate::verify::{self, Request};

/// Every daemon's health and the verdict over all of them.
pub fn status(ctx: &Context) -> anyhow::Result<Health> {
    Ok(runtime()?.block_on(health::check_all(&ctx.cluster)))
}

/// The state of the pipeline's flow on NiFi, when a host runs NiFi.
pub fn flow_status(ctx: &Context) -> anyhow::Result<Option<Result<FlowStatus, NifiError>>> {
    let Some(address) = ctx.cluster.nifi_address() else { return Ok(None) };
    let api = Api::new(&address);
    Ok(Some(runtime()?.block_on(crate::nifi::monitor::status(&api))))
}

/// Runs every check `request` asks for, writing the report into a new run folder.
pub fn verify(
    ctx: &Context,
    secrets: &Secrets,
    request: &Request,
    events: &dyn Events,
) -> anyhow::Result<verify::Report> {
    // Like the report, a state folder that cannot be made does not stop the verification.
    let _ = crate::state::create(&ctx.cluster.state_dir);
    let log_dir = ctx.run_dir("verify");
    let rt = runtime()?;
    events.run_started();
    let report = rt.block_on(verify::run(&ctx.cluster, secrets, request, events, &log_dir));
    events.run_ended();
    Ok(report)
}
