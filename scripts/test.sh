#!/usr/bin/env bash
# The whole test suite on Debian 12: installs what the tests need (scripts/setup.sh build
# run test), then runs every test, and ends with one line counting them. The tests start real
# OpenSSH servers on 127.0.11.x and the whole local topology on 127.0.10.1-8: run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build run test

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --locked --lib --bins --tests 2>&1 | tee "$log" || status=$?

# One closing line over every test binary.
passed=$(grep -Eo '^test result: .* ([0-9]+) passed' "$log" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}')
echo "${passed} passed, ${failed} failed"
exit "$status"
