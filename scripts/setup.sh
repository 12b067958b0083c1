#!/usr/bin/env bash
# Installs, on Debian 12 as root, what `provision` needs for the given purposes, once:
#   build  what compiling provision links with (OpenSSL and zlib headers, pkg-config)
#   run    what the local topology runs (Java 17, Maven, MariaDB, PostgreSQL 15, curl)
#   test   what the tests start or call besides (OpenSSH's server, shellcheck, Vagrant and
#          Ruby, iproute2, sudo, binutils; zig from PyPI and cargo-zigbuild for the portable build;
#          LXC, vagrant-lxc, debootstrap and apt-cacher-ng for the eight machines; Chromium for the
#          screenshot of NiFi's canvas)
# Anything that cannot be installed stops the script with one line naming it.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

declare -A packages=(
  [build]="pkg-config libssl-dev zlib1g-dev"
  [run]="openjdk-17-jdk-headless maven mariadb-server postgresql-15 curl"
  [test]="openssh-server openssh-client shellcheck vagrant ruby iproute2 sudo binutils python3-pip lxc vagrant-lxc debootstrap apt-cacher-ng chromium"
)

fail() { echo "setup: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (it installs Debian packages)"
command -v apt-get > /dev/null || fail "apt-get not found: provision's setup is for Debian 12"
[ $# -gt 0 ] || fail "say what for: build, run and/or test"

need=()
for purpose in "$@"; do
  [ -n "${packages[$purpose]:-}" ] || fail "unknown purpose '$purpose' (build, run, test)"
  for pkg in ${packages[$purpose]}; do
    dpkg-query -W -f='${Status}' "$pkg" 2> /dev/null | grep -q 'ok installed' || need+=("$pkg")
  done
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  apt-get update -qq || fail "apt-get update failed: no package index, so cannot install ${need[*]}"
  # LXC's own bridge and dnsmasq are not used (provision makes the machines' bridge), and no
  # package's daemon is started by its installation: nothing runs that a run did not start.
  [ -e /etc/default/lxc-net ] || echo 'USE_LXC_BRIDGE="false"' > /etc/default/lxc-net
  policy=/usr/sbin/policy-rc.d
  made_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
  fi
  log=$(mktemp)
  if ! apt-get install -y -qq -o Dpkg::Options::=--force-confold "${need[@]}" > "$log" 2>&1; then
    for pkg in "${need[@]}"; do
      dpkg-query -W -f='${Status}' "$pkg" 2> /dev/null | grep -q 'ok installed' \
        || fail "cannot install $pkg: $(grep -m1 -E '^E:' "$log" || tail -n1 "$log")"
    done
  fi
  rm -f "$log"
  [ -z "$made_policy" ] || rm -f "$policy"
fi

for purpose in "$@"; do
  if [ "$purpose" = test ]; then
    mkdir -p /run/sshd
    # The portable build of the crawler binary (glibc 2.17) links with zig: the ziglang
    # package from PyPI and cargo-zigbuild from crates.io.
    if ! python3 -c 'import ziglang' 2> /dev/null; then
      # A Debian-managed python3 refuses plain installs (PEP 668); a user-managed one does not.
      python3 -m pip install --quiet --disable-pip-version-check ziglang 2> /dev/null \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages ziglang \
        || fail "cannot install ziglang from PyPI (the portable build's linker)"
    fi
    command -v cargo-zigbuild > /dev/null || cargo install --quiet --locked cargo-zigbuild \
      || fail "cannot install cargo-zigbuild from crates.io (the portable build)"
  fi
done
