#!/bin/bash
# scripts/test.sh - set up a fresh Debian 12 machine and run the whole suite
# (the README's second command; .ci/run calls it).
#
# Installs the packages (scripts/deps.sh), builds, then runs the suite twice
# like "make check": on the normal build (make test SAN=0) and on the
# ASan+UBSan build (make test SAN=1). Both runs always happen, even when the
# first fails. The last line sums both: "N passed, N failed[, N skipped]".
# A build failure counts as one failed test. Exit 0 only when nothing failed.
#
#   LG_JOBS=N   make parallelism (default 2)
#   LG_FUZZ_SECONDS=N  seconds per fuzz target after the suites (default 60, 0 = none)
# Other LG_* variables (LG_TESTS, LG_TIMEOUT) pass through to tests/run.sh.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

jobs=${LG_JOBS:-2}
total_pass=0 total_fail=0 total_skip=0
logdir=tests/out
mkdir -p "$logdir"

if ! scripts/deps.sh; then
	echo "test.sh: scripts/deps.sh failed"
	echo "0 passed, 1 failed"
	exit 1
fi

# libmilter with a thread per session (scripts/libmilter.sh); when it cannot
# be built the suite runs on the system's libmilter, which works the same.
scripts/libmilter.sh || true

t0=$(date +%s)
if ! make -j"$jobs"; then
	echo "test.sh: make failed"
	echo "0 passed, 1 failed"
	exit 1
fi

# Adds the counts from a run.sh summary line found in FILE; a run without
# one (the build of its tests failed) counts as one failure.
tally() { # FILE LABEL
	local line p f s
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$1" | tail -n 1)
	if [[ -z $line ]]; then
		echo "test.sh: $2: no summary line (build failed?), counted as 1 failure"
		total_fail=$((total_fail + 1))
		return
	fi
	p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
	s=0
	[[ $line == *skipped ]] && s=$(sed -E 's/.*, ([0-9]+) skipped$/\1/' <<<"$line")
	echo "test.sh: $2: $line"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
}

for san in 0 1; do
	label=$([[ $san == 1 ]] && echo "ASan+UBSan build" || echo "normal build")
	echo "=== make test SAN=$san ($label)"
	log=$logdir/make-test-san$san.log
	make -j"$jobs" test SAN="$san" 2>&1 | tee "$log"
	tally "$log" "$label"
done

# Fuzzing: every libFuzzer target for LG_FUZZ_SECONDS (default 60; 0 skips),
# each target one test: it passes when it leaves no crash, leak or timeout.
fuzz_seconds=${LG_FUZZ_SECONDS:-60}
if ((fuzz_seconds > 0)); then
	echo "=== fuzzing, ${fuzz_seconds}s per target"
	flog=$logdir/fuzz.log
	FUZZ_SECONDS=$fuzz_seconds FUZZ_OUT=$PWD/build-fuzz/run tests/fuzz/run.sh 2>&1 | tee "$flog"
	frc=${PIPESTATUS[0]}
	if ((frc == 77)); then
		total_skip=$((total_skip + 1))
	else
		n=$(awk '/^target +runs/{t=1; next} t && /^fuzz_/{print}' "$flog" | wc -l)
		bad=$(awk '/^target +runs/{t=1; next} t && /^fuzz_/ && $NF != "-"{print}' "$flog" | wc -l)
		if ((n == 0)); then
			echo "test.sh: fuzzing: no target ran (rc=$frc), counted as 1 failure"
			total_fail=$((total_fail + 1))
		else
			((frc != 0 && bad == 0)) && bad=1
			echo "test.sh: fuzzing: $((n - bad)) passed, $bad failed"
			total_pass=$((total_pass + n - bad))
			total_fail=$((total_fail + bad))
		fi
	fi
fi

echo "test.sh: whole run took $(($(date +%s) - t0)) s"
if ((total_skip > 0)); then
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
	echo "$total_pass passed, $total_fail failed"
fi
((total_fail == 0))
