#!/bin/bash
# tests/run.sh - the suite runner behind "make test" (run from anywhere).
#
# Runs every $LG_BUILD/tests/test_* binary (cmocka unit tests) one at a
# time, then every tests/integration/t-*.sh script, up to LG_JOBS at once,
# each under a timeout and with a fresh temp folder. A script with a line
# "# lg-test: exclusive" (load, soak, time and memory bounds, timing of
# delivery and locks) runs alone. Exit status of a test: 0 pass, 77
# skipped, anything else fail.
#
# Environment:
#   LG_BUILD    build folder (build | build-san), default build
#   LG_TESTS    extended regex on test names (test_store, t-postfix-harness)
#               to run a subset
#   LG_JOBS     integration scripts run at once, default 2 (1 = one by one);
#               each starts its own Postfix, daemon and services on free
#               ports in its own temp folder
#   LG_TIMEOUT  seconds per test, default 300
#   LG_KEEP_TMP 1 = keep every test's temp folder (kept anyway on failure)
# Each test gets LG_BUILD, LG_ROOT, LG_TMP (fresh, 0755) in its environment;
# its output goes to tests/out/<build>/<name>.log.
# Prints one line per test and ends with "N passed, N failed" (", N skipped"
# added when some were skipped); exits 1 when a test failed or none ran.
set -u

LG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$LG_ROOT" || exit 1
LG_BUILD=${LG_BUILD:-build}
LG_BUILD=${LG_BUILD%/}
LG_TIMEOUT=${LG_TIMEOUT:-300}
LG_TESTS=${LG_TESTS:-}
LG_JOBS=${LG_JOBS:-2}
[[ $LG_JOBS =~ ^[1-9][0-9]*$ ]] || LG_JOBS=1
export LG_ROOT LG_BUILD

build_name=$(basename "$LG_BUILD")
OUT=$LG_ROOT/tests/out/$build_name
mkdir -p "$OUT"

if [[ $build_name == *san* ]]; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	if [[ -f $LG_ROOT/tests/lsan.supp ]]; then
		export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$LG_ROOT/tests/lsan.supp}
	fi
fi

if [[ -t 1 ]]; then
	C_PASS=$'\e[32m' C_FAIL=$'\e[31m' C_SKIP=$'\e[33m' C_OFF=$'\e[0m'
else
	C_PASS="" C_FAIL="" C_SKIP="" C_OFF=""
fi

n_pass=0 n_fail=0 n_skip=0
failed=()

now_ms() { date +%s%3N; }

# Kills whatever a test left behind: processes that inherited its LG_TMP,
# and Postfix masters whose queue lies in it (Postfix cleans its environment).
reap() {
	local tmp=$1 name=$2 pids=() p f pid
	while IFS= read -r p; do
		p=${p#/proc/}
		pids+=("${p%/environ}")
	done < <(grep -lzxF "LG_TMP=$tmp" /proc/[0-9]*/environ 2>/dev/null)
	while IFS= read -r f; do
		read -r pid <"$f" 2>/dev/null && [[ $pid =~ ^[0-9]+$ ]] && pids+=("$pid")
	done < <(find "$tmp" -path '*/pid/master.pid' 2>/dev/null)
	while IFS= read -r p; do
		pids+=("$p")
	done < <(find /proc/[0-9]*/cwd -maxdepth 0 -lname "$tmp/*" -printf '%h\n' 2>/dev/null | cut -d/ -f3)
	((${#pids[@]} == 0)) && return 0
	mapfile -t pids < <(printf '%s\n' "${pids[@]}" | sort -u)
	local alive=()
	for pid in "${pids[@]}"; do
		kill -0 "$pid" 2>/dev/null && alive+=("$pid")
	done
	((${#alive[@]} == 0)) && return 0
	echo "run.sh: $name left processes running, killed: ${alive[*]}" >>"$OUT/$name.log"
	ps -o pid=,args= -p "$(
		IFS=,
		echo "${alive[*]}"
	)" >>"$OUT/$name.log" 2>/dev/null
	kill -KILL "${alive[@]}" 2>/dev/null
	return 0
}

run_one() { # NAME CMD...
	local name=$1 log tmp t0 ms rc secs why
	shift
	log=$OUT/$name.log
	# Folders kept from failed runs of this test, once they are old.
	find "${TMPDIR:-/tmp}" -maxdepth 1 -name "lg-$name.*" -mmin +120 \
		-exec rm -rf {} + 2>/dev/null
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/lg-$name.XXXXXX")
	chmod 755 "$tmp"
	t0=$(now_ms)
	LG_TMP=$tmp timeout --kill-after=15 "$LG_TIMEOUT" "$@" >"$log" 2>&1 </dev/null
	rc=$?
	ms=$(($(now_ms) - t0))
	secs=$(printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)))
	reap "$tmp" "$name"
	# Daemons and tools a test started under the sanitizers write their
	# reports to their own logs: any report fails the test.
	if ((rc == 0)) && [[ $LG_BUILD == *san* ]]; then
		local rep
		rep=$(grep -rlE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$tmp" \
			--include='*.log' --include='*.err' 2>/dev/null | head -n 3)
		if [[ -n $rep ]]; then
			{
				echo "run.sh: sanitizer report in: $rep"
				grep -hE -A12 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' $rep | head -n 60
			} >>"$log"
			rc=1
		fi
	fi
	# One write per report, so that reports of tests running at once do
	# not interleave.
	case $rc in
	0)
		printf '%sPASS%s %s (%ss)\n' "$C_PASS" "$C_OFF" "$name" "$secs"
		;;
	77)
		why=$(grep -m1 -o 'SKIP.*' "$log") || why=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)
		printf '%sSKIP%s %s (%s)\n' "$C_SKIP" "$C_OFF" "$name" "${why:0:100}"
		;;
	*)
		if ((rc == 124 || rc == 137)); then
			echo "run.sh: timed out after ${LG_TIMEOUT}s" >>"$log"
		fi
		printf '%sFAIL%s %s (%ss, exit %d, log %s, tmp %s)\n%s\n' "$C_FAIL" "$C_OFF" \
			"$name" "$secs" "$rc" "${log#"$LG_ROOT"/}" "$tmp" \
			"$(tail -n 30 "$log" | sed 's/^/    | /')"
		;;
	esac
	echo "$rc" >"$RESULTS/$name"
	if ((rc == 0 || rc == 77)) && [[ ${LG_KEEP_TMP:-0} != 1 ]]; then
		rm -rf "$tmp"
	fi
}

selected() { [[ -z $LG_TESTS ]] || [[ $1 =~ $LG_TESTS ]]; }

# Each test's exit status lands in RESULTS/NAME; they are counted at the end.
RESULTS=$(mktemp -d "${TMPDIR:-/tmp}/lg-results.XXXXXX")
running=0
launched=() # a test without a result (its runner died) counts as failed

# Waits until fewer than $1 tests run in the background.
wait_below() {
	while ((running >= $1)); do
		wait -n 2>/dev/null
		running=$((running - 1))
	done
}

for t in "$LG_BUILD"/tests/test_*; do
	[[ -f $t && -x $t ]] || continue
	case $t in *.d | *.o) continue ;; esac
	name=$(basename "$t")
	selected "$name" || continue
	[[ $t == /* ]] || t=$LG_ROOT/$t
	launched+=("$name")
	run_one "$name" "$t"
done

# The scripts that may share the machine first, LG_JOBS at a time; then the
# exclusive ones, alone.
exclusive=()
for t in tests/integration/t-*.sh; do
	[[ -f $t ]] || continue
	name=$(basename "$t" .sh)
	selected "$name" || continue
	launched+=("$name")
	if ((LG_JOBS == 1)) || grep -q '^# lg-test: exclusive' "$t"; then
		exclusive+=("$t")
		continue
	fi
	wait_below "$LG_JOBS"
	run_one "$name" bash "$LG_ROOT/$t" &
	running=$((running + 1))
done
wait_below 1
for t in "${exclusive[@]}"; do
	run_one "$(basename "$t" .sh)" bash "$LG_ROOT/$t"
done

for name in "${launched[@]}"; do
	rc=1
	[[ -f $RESULTS/$name ]] && read -r rc <"$RESULTS/$name"
	case $rc in
	0) n_pass=$((n_pass + 1)) ;;
	77) n_skip=$((n_skip + 1)) ;;
	*)
		n_fail=$((n_fail + 1))
		failed+=("$name")
		;;
	esac
done
rm -rf "$RESULTS"

if ((n_pass + n_fail + n_skip == 0)); then
	echo "run.sh: no tests found${LG_TESTS:+ matching /$LG_TESTS/} in $LG_BUILD/tests or tests/integration"
	n_fail=1
fi
((n_fail > 0 && ${#failed[@]} > 0)) && echo "failed: ${failed[*]}"
if ((n_skip > 0)); then
	echo "$n_pass passed, $n_fail failed, $n_skip skipped"
else
	echo "$n_pass passed, $n_fail failed"
fi
((n_fail == 0))
