//! NiFi: nifi.properties (plain HTTP on the host's address, the kept sensitive-properties key;
//! the flow, its archive, templates, state and repositories under NiFi's data folder, so the
//! release folder stays read-only and a new release keeps the flow), state-management.xml,
//! bootstrap.conf, logback.xml, the (empty) authorizers and login providers, and the embedded
//! ZooKeeper's properties.

use super::{Tree, mode};
use crate::context;
use crate::model::{Cluster, Host, Role, Service};
use crate::secrets::Secrets;

/// Renders NiFi's files for `host`, if it runs NiFi.
pub fn render(c: &Cluster, host: &Host, secrets: &Secrets, t: &mut Tree) {
    if !host.has(Role::Nifi) {
        return;
    }
    let nifi = c.versions.nifi;
    let conf = c.on_host(host, &c.paths.nifi_conf);
    let home = c.on_host(host, &c.paths.nifi_home);
    let props = super::templates::render(
        "nifi.properties",
        &context! {
            "host" => host.name,
            "cluster" => c.name,
            "conf" => conf,
            "home" => home,
            "data" => c.on_host(host, &c.paths.nifi_data),
            "address" => host.address.to_string(),
            "http_port" => host.ports.nifi_http,
            "flow_json" => nifi.flow_json,
            "sensitive_key" => secrets.nifi_sensitive_key,
            "sensitive_algorithm" => nifi.sensitive_algorithm,
            "sensitive_provider" => !nifi.flow_json,
            "zookeeper" => c.zookeeper_quorum(),
        },
    );
    let nifi_conf = |name: &str| format!("{}/{name}", c.paths.nifi_conf);
    t.add_secret(host, &nifi_conf("nifi.properties"), props, &c.users.nifi, &[Service::Nifi]);
    let state = super::templates::render(
        "state-management.xml",
        &context! {"host" => host.name, "cluster" => c.name, "data" => c.on_host(host, &c.paths.nifi_data)},
    );
    t.add(host, &nifi_conf("state-management.xml"), state, mode::PUBLIC, &[Service::Nifi]);
    let bootstrap = super::templates::render(
        "bootstrap.conf",
        &context! {
            "host" => host.name,
            "cluster" => c.name,
            "java" => format!("{}/bin/java", c.java_home()),
            "home" => home,
            "conf" => conf,
            "heap" => c.heaps.nifi,
            "options" => crate::services::NIFI_JVM_OPTIONS,
            "preserve_environment" => nifi.flow_json,
        },
    );
    t.add(host, &nifi_conf("bootstrap.conf"), bootstrap, mode::PUBLIC, &[Service::Nifi]);
    let identity = context! {
        "host" => host.name,
        "cluster" => c.name,
        "logs" => c.on_host(host, &c.paths.nifi_logs),
        "data" => c.on_host(host, &c.paths.nifi_data),
    };
    for (template, file) in [
        ("nifi-logback.xml", "logback.xml"),
        ("authorizers.xml", "authorizers.xml"),
        ("login-identity-providers.xml", "login-identity-providers.xml"),
        ("nifi-zookeeper.properties", "zookeeper.properties"),
    ] {
        let text = super::templates::render(template, &identity);
        t.add(host, &nifi_conf(file), text, mode::PUBLIC, &[Service::Nifi]);
    }
}
