#!/bin/bash
# tests/bench/run.sh - `make bench`: runs every tests/bench/bench-*.sh in turn
# (benchmarks, not tests: numbers, no pass/fail), from the repository root,
# with LG_BUILD (default build). Each one's output goes to the terminal and
# to tests/out/bench-<name>.log; a summary of exit codes ends the run.
# BENCH_ONLY_SCRIPTS: extended regex on script names to run a subset.
set -u
LG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$LG_ROOT" || exit 1
export LG_ROOT LG_BUILD=${LG_BUILD:-build}
mkdir -p tests/out
make -s tests >/dev/null 2>&1 || echo "run.sh: make tests failed; benchmarks build what they need" >&2
summary=()
rc=0
for b in tests/bench/bench-*.sh; do
	name=$(basename "$b" .sh)
	[[ -n ${BENCH_ONLY_SCRIPTS:-} && ! $name =~ $BENCH_ONLY_SCRIPTS ]] && continue
	echo "=== $name"
	t0=$(date +%s)
	bash "$b" 2>&1 | tee "tests/out/$name.log"
	r=${PIPESTATUS[0]}
	summary+=("$name: exit $r, $(($(date +%s) - t0)) s")
	((r != 0 && r != 77)) && rc=1
done
echo "=== summary"
printf '%s\n' "${summary[@]}"
[[ -f tests/out/bench.md ]] && echo "MTA table: tests/out/bench.md"
exit $rc
