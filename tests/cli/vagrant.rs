//! The rendered Vagrantfiles load in Vagrant (Debian's package): `vagrant validate`, which
//! needs no VirtualBox with --ignore-provider.

use std::path::Path;
use std::process::Command;

use crate::support::{render, root};

fn validate(dir: &Path) -> Result<(), String> {
    let out = Command::new("vagrant")
        .args(["validate", "--ignore-provider"])
        .current_dir(dir)
        .env("VAGRANT_HOME", dir.join(".vagrant.d"))
        .output()
        .expect("vagrant (apt-get install vagrant)");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
    }
}

#[test]
fn the_rendered_vagrantfiles_validate() {
    let broken = tempfile::tempdir().unwrap();
    std::fs::write(
        broken.path().join("Vagrantfile"),
        "Vagrant.configure(\"2\") do |config|\n  config.vm.bogus = 1\nend\n",
    )
    .unwrap();
    assert!(validate(broken.path()).is_err(), "vagrant validate must reject an unknown setting");
    for inv in ["inventory/cluster.toml", "inventory/modern.toml"] {
        let (_, t) = render(inv);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Vagrantfile"), crate::support::file(&t, "vagrant/Vagrantfile")).unwrap();
        validate(dir.path()).unwrap_or_else(|e| panic!("{inv}: {e}"));
    }
    validate(&root().join("vagrant")).unwrap();
}
