//! What `up` does, as ordered phases of steps per host, built from the cluster and its rendered
//! files. Pure: nothing here touches a host.

use crate::apply::Phase;
use crate::desired::Tree;
use crate::model::Cluster;
use crate::steps::{Content, Step};

/// The phases of `up`, in order.
pub fn phases(c: &Cluster, tree: &Tree) -> Vec<Phase> {
    vec![configure(c, tree)]
}

/// Every rendered file of every host, at its path on that host.
fn configure(c: &Cluster, tree: &Tree) -> Phase {
    let mut phase = Phase { name: "configure".into(), ..Phase::default() };
    for f in tree.files.values() {
        let Some(host) = f.host.as_deref().and_then(|h| c.host(h)) else { continue };
        phase.hosts.entry(host.name.clone()).or_default().push(Step::File {
            path: c.on_host(host, &f.path),
            content: Content::Text(f.content.clone()),
            mode: f.mode,
            owner: None,
            affects: f.affects.clone(),
        });
    }
    phase
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::secrets::Secrets;

    #[test]
    fn every_host_file_is_one_file_step_under_the_host_root() {
        let c = crate::inventory::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/inventory/local.toml"))).unwrap();
        let secrets = Secrets { metastore_password: "a".into(), mart_password: "b".into(), nifi_sensitive_key: "c".into() };
        let tree = crate::desired::render(&c, &secrets);
        let phases = phases(&c, &tree);
        let steps: usize = phases[0].hosts.values().map(Vec::len).sum();
        assert_eq!(steps, tree.files.values().filter(|f| f.host.is_some()).count());
        for (host, steps) in &phases[0].hosts {
            let root = c.host_root(c.host(host).unwrap());
            for s in steps {
                let Step::File { path, .. } = s else { panic!("not a file step") };
                assert!(Path::new(path).starts_with(&root), "{path} is outside {}", root.display());
            }
        }
    }
}
