//! The only code that touches hosts: the steps (what one change is, how its fact is read and
//! judged, how it is applied), the runner that applies phases of steps to hosts in parallel,
//! and the transports that reach a host (this machine, or SSH).

pub mod runner;
pub mod steps;
pub mod transport;
