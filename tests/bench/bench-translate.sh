#!/bin/bash
# tests/bench/bench-translate.sh - benchmark, not a test: letters per second
# through translation with the real APy for 1,000-character Ukrainian
# letters, cold (empty cache) and from the cache.
#   tests/bench/bench-translate.sh [N [THREADS]]   (default 1000 letters, 4 threads)
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${LG_BUILD:-build}
TOOL=$BUILD/tools/bench_translate
N=${1:-1000}
THREADS=${2:-4}
[ -x "$TOOL" ] || make -s "$TOOL" || exit 1
. tests/lib/apy.sh
T=$(mktemp -d)
trap 'apy_stop "$T/apy"; rm -rf "$T"' EXIT
apy_start "$T/apy" || exit 1
cat >"$T/lg.conf" <<CONF
[translate]
apertium_url = $APY_URL
routes = uk:apertium;be:apertium
timeout_ms = 30000
CONF
# warm the pair once (the first request of a pair starts its pipeline)
printf 'Привіт, як справи?' | "$TOOL" -c "$T/lg.conf" -1 - >/dev/null
"$TOOL" -c "$T/lg.conf" -d "$T/bench.db" -n "$N" -t "$THREADS" -s 1000
