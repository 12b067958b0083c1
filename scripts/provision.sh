#!/usr/bin/env bash
# `provision` for a newcomer on Debian 12: installs what building and running it needs
# (scripts/setup.sh build run), builds it, and runs it with the given arguments, e.g.
#   bash scripts/provision.sh up -i inventory/local.toml
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build run
cargo build --locked --quiet --bin provision
exec target/debug/provision "$@"
