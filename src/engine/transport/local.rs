//! The machine `provision` runs on, as a host.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::{Output, TIMED_OUT, Transport, TransportError, bounded};

/// Runs commands on this machine for the host called `host`.
#[derive(Debug, Clone)]
pub struct Local {
    host: String,
}

impl Local {
    /// A local "host" named `host`.
    pub fn new(host: &str) -> Self {
        Local { host: host.to_string() }
    }
}

impl Transport for Local {
    fn host(&self) -> &str {
        &self.host
    }

    fn exec(
        &mut self,
        command: &str,
        stdin: Option<&mut dyn Read>,
        timeout: Duration,
    ) -> Result<Output, TransportError> {
        let io = |context: &str| {
            let host = self.host.clone();
            let context = context.to_string();
            move |source| TransportError::Io { host, context, source }
        };
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(bounded(command, timeout, false))
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(io("starting sh"))?;
        let mut out = child.stdout.take().expect("piped");
        let mut err = child.stderr.take().expect("piped");
        let readers = std::thread::scope(|s| {
            let o = s.spawn(move || {
                let mut b = Vec::new();
                out.read_to_end(&mut b).map(|_| b)
            });
            let e = s.spawn(move || {
                let mut b = Vec::new();
                err.read_to_end(&mut b).map(|_| b)
            });
            let fed = match (stdin, child.stdin.take()) {
                (Some(input), Some(mut pipe)) => std::io::copy(input, &mut pipe).and_then(|_| pipe.flush()).map(|_| ()),
                _ => Ok(()),
            };
            (fed, o.join().expect("reader"), e.join().expect("reader"))
        });
        let status = child.wait().map_err(io("waiting for sh"))?;
        let (fed, stdout, stderr) = readers;
        let stdout = stdout.map_err(io("reading stdout"))?;
        let stderr = stderr.map_err(io("reading stderr"))?;
        let code = status.code().unwrap_or(128 + 9);
        if code == TIMED_OUT {
            return Err(TransportError::Timeout {
                host: self.host.clone(),
                command: command.to_string(),
                seconds: timeout.as_secs(),
            });
        }
        // A command that exits without reading all its input closes the pipe; its exit code says more.
        if let Err(e) = fed
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(io("feeding stdin")(e));
        }
        Ok(Output { code, stdout, stderr })
    }
}
