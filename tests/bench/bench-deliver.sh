#!/bin/bash
# tests/bench/bench-deliver.sh - delivery benchmark (not a test): letters per
# second drained from an outbox of 10,000 to the local http partner
# (tests/lib/fake_partner.py), with 1 and 4 worker threads.
# Run from the repository root after `make tests`.
#   bench-deliver.sh [N] [THREADS...]
set -eu
BUILD=${LG_BUILD:-build}
BIN=$BUILD/tools/bench_deliver
[ -x "$BIN" ] || make "$BIN" >/dev/null
N=${1:-10000}
shift || true
THREADS=${*:-1 4}
TMP=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'bench-secret\n' >"$TMP/secret"
chmod 600 "$TMP/secret"
python3 tests/lib/fake_partner.py --port "$PORT" --secret-file "$TMP/secret" --pid-file "$TMP/pid" &
FP=$!
trap 'kill $FP 2>/dev/null; wait $FP 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	sleep 0.1
done
for t in $THREADS; do
	"$BIN" "http://127.0.0.1:$PORT/letters" "$TMP/secret" "$N" "$t" 2>/dev/null
done
