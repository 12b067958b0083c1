//! systemd units, one per daemon per host, from the launch specifications.

use super::launch::{Launch, launch};
use super::{Tree, mode};
use crate::context;
use crate::model::{Cluster, Host};

/// Quotes one argument of a systemd command line: `%` doubled, and double quotes around an
/// argument holding whitespace, quotes or backslashes.
pub fn systemd_arg(arg: &str) -> String {
    let arg = arg.replace('%', "%%");
    if arg.is_empty() || arg.chars().any(|c| c.is_whitespace() || c == '"' || c == '\'' || c == '\\' || c == ';') {
        format!("\"{}\"", arg.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        arg
    }
}

fn unit(c: &Cluster, l: &Launch) -> String {
    let exec: Vec<String> = l.command.iter().map(|a| systemd_arg(a)).collect();
    let env: Vec<String> = l.env.iter().map(|(k, v)| systemd_arg(&format!("{k}={v}"))).collect();
    let after: Vec<String> = l.after.iter().map(|s| s.unit_name()).collect();
    super::templates::render(
        "unit.service",
        &context! {
            "host" => l.host,
            "cluster" => c.name,
            "description" => l.description,
            "user" => l.user,
            "workdir" => l.workdir,
            "env" => env,
            "exec" => exec.join(" "),
            "after" => after,
        },
    )
}

/// Renders a unit for every daemon of `host`.
pub fn render(c: &Cluster, host: &Host, t: &mut Tree) {
    for service in c.services(host) {
        let l = launch(c, host, service);
        let path = format!("{}/{}", c.paths.systemd_units, service.unit_name());
        t.add(host, &path, unit(c, &l), mode::PUBLIC, &[service]);
    }
}

#[cfg(test)]
mod tests {
    use super::systemd_arg;

    #[test]
    fn quotes_only_what_systemd_would_split() {
        assert_eq!(systemd_arg("-Xmx1g"), "-Xmx1g");
        assert_eq!(systemd_arg("/a/*:/b"), "/a/*:/b");
        assert_eq!(systemd_arg("a b"), "\"a b\"");
        assert_eq!(systemd_arg("50%"), "50%%");
        assert_eq!(systemd_arg("say \"hi\""), "\"say \\\"hi\\\"\"");
    }
}
