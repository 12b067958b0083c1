//! The binary for the crawler host of the original VMs (CentOS 7, glibc 2.17): built with
//! cargo-zigbuild (zig from PyPI's `ziglang`) and the `portable` feature, it may need no glibc
//! symbol newer than 2.17 and no shared library beyond glibc's own. `.ci/run` installs both.

use std::process::Command;

use crate::support::root;

/// Symbol versions like `GLIBC_2.17` in `objdump -T` output, as (major, minor).
fn glibc_versions(objdump: &str) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = objdump
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut parts = v.split('.');
            Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[test]
fn glibc_versions_are_read_from_objdump_output() {
    let text = "0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.17) clock_gettime\n\
                0000000000000000      DF *UND*  0000000000000000  GLIBC_2.2.5 memcpy\n\
                0000000000000000  w   D  *UND*  0000000000000000  GLIBC_PRIVATE x\n";
    assert_eq!(glibc_versions(text), vec![(2, 2), (2, 17)]);
}

#[test]
fn the_crawler_binary_for_centos7_needs_nothing_newer_than_glibc_2_17() {
    let _heavy = crate::support::heavy();
    let target_dir = root().join("target/portable");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["zigbuild", "--release", "--locked", "--target", "x86_64-unknown-linux-gnu.2.17"])
        .args(["--bin", "provision", "--features", "portable"])
        .env("CARGO_TARGET_DIR", &target_dir)
        .current_dir(root())
        .output()
        .expect("cargo (with cargo-zigbuild: cargo install cargo-zigbuild; pip install ziglang)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(30).collect();
    assert!(
        out.status.success(),
        "the portable build failed:\n{}",
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    );
    let binary = target_dir.join("x86_64-unknown-linux-gnu/release/provision");

    let symbols = Command::new("objdump").arg("-T").arg(&binary).output().expect("objdump (binutils)");
    let versions = glibc_versions(&String::from_utf8_lossy(&symbols.stdout));
    assert!(!versions.is_empty(), "no glibc symbols found: is {} dynamically linked?", binary.display());
    let newest = *versions.last().unwrap();
    assert!(newest <= (2, 17), "needs GLIBC_{}.{}; CentOS 7 has 2.17 ({versions:?})", newest.0, newest.1);

    let headers = Command::new("objdump").arg("-p").arg(&binary).output().unwrap();
    let glibc_own = ["libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2"];
    for line in String::from_utf8_lossy(&headers.stdout).lines().filter(|l| l.trim_start().starts_with("NEEDED")) {
        let lib = line.split_whitespace().nth(1).unwrap_or("");
        assert!(glibc_own.contains(&lib), "needs {lib}, which CentOS 7 may not have in this version");
    }

    let version = Command::new(&binary).arg("--version").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), format!("provision {}", env!("CARGO_PKG_VERSION")));
}
