//! The rendered Vagrantfiles load in Vagrant (Debian's package): `vagrant validate`, which
//! needs no VirtualBox with --ignore-provider.

use std::path::Path;
use std::process::Command;

use crate::support::{copy_inventory, render, root};

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

/// `up` on the VM inventory drives the real Vagrant: on a machine without VirtualBox (this one)
/// it stops before any phase with Vagrant's own reason, the Vagrantfile in place for a retry.
#[test]
fn up_without_virtualbox_stops_with_vagrants_reason_before_any_phase() {
    let dir = tempfile::tempdir().unwrap();
    let inv = copy_inventory("inventory/cluster.toml", dir.path());
    // The crawler host runs CentOS 7: this build of provision needs a newer glibc, and is
    // refused before Vagrant or any download.
    let out = crate::support::bin()
        .args(["up", "-i"])
        .arg(&inv)
        .env_remove("PROVISION_CRAWLER_BINARY")
        .env("VAGRANT_HOME", dir.path().join(".vagrant.d"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("but the crawler host getdataserver runs centos7 (glibc 2.17)"), "{err}");
    assert!(err.contains("--crawler-binary"), "{err}");
    assert!(!dir.path().join("state/vagrant").exists(), "Vagrant ran for a binary that cannot run there");

    // A static executable needs no glibc at all: past that check, Vagrant is reached.
    let source = dir.path().join("static.c");
    std::fs::write(&source, "int main(void) { return 0; }\n").unwrap();
    let crawler = dir.path().join("static-crawler");
    let built = std::process::Command::new("gcc").arg("-static").arg("-o").arg(&crawler).arg(&source).status().unwrap();
    assert!(built.success(), "gcc -static");
    let out = crate::support::bin()
        .args(["up", "-i"])
        .arg(&inv)
        .arg("--crawler-binary")
        .arg(&crawler)
        .env("VAGRANT_HOME", dir.path().join(".vagrant.d"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("`vagrant up --provider virtualbox` in "), "{err}");
    assert!(err.contains("VirtualBox"), "Vagrant's reason is missing: {err}");
    let state = dir.path().join("state");
    assert_eq!(
        std::fs::read_to_string(state.join("vagrant/Vagrantfile")).unwrap(),
        std::fs::read_to_string(root().join("vagrant/Vagrantfile")).unwrap()
    );
    assert!(!state.join("runs").exists(), "a phase ran although the VMs are not up");

    // Without recorded endpoints, plan names every host and says what to do.
    let out =
        crate::support::bin().args(["plan", "-i"]).arg(&inv).arg("--crawler-binary").arg(&crawler).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("nn01: the VMs' SSH endpoints are not recorded"), "{err}");
    assert!(err.contains("hint: run `provision up` to create the VMs"), "{err}");
}
