#!/bin/sh
# tests/bench/bench-screen.sh - screening benchmark (not a test): MB/s on one
# core with the default rules and latency per 2 KB letter.
# Run from the repository root after `make tests`.
set -eu
BUILD=${LG_BUILD:-build}
BIN=$BUILD/tools/bench_screen
[ -x "$BIN" ] || make "$BIN"
exec taskset -c 0 "$BIN" "${1:-conf/rules}" "${2:-3}" 2>/dev/null || exec "$BIN" "${1:-conf/rules}" "${2:-3}"
