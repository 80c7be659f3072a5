#!/bin/bash
# tests/fuzz/run.sh - build and run the libFuzzer targets ("make fuzz").
#
#   tests/fuzz/run.sh [TARGET...]       default: every tests/fuzz/fuzz_*.c
#   tests/fuzz/run.sh --build-only [TARGET...]
#
# Environment:
#   FUZZ_SECONDS  seconds of fuzzing per target (default 60)
#   FUZZ_JOBS     targets run at once (default: number of CPUs)
#   FUZZ_OUT      where corpora, crash inputs and logs go
#                 (default build-fuzz/run; a fresh corpus each run)
#   FUZZ_ARGS     extra libFuzzer arguments
#
# Build: every library .c file (the Makefile's module list) is compiled with
# clang -fsanitize=fuzzer-no-link,address,undefined into build-fuzz/ (never
# build/ or build-san/), then each target is linked with -fsanitize=fuzzer.
# Inputs the fuzzers found in others' code wait in tests/fuzz/pending/<target>/
# (not replayed by the suite) until fixed; their leaks are suppressed through
# tests/fuzz/lsan.supp.
# Seeds: copies of ../shared/corpus/real (read-only, never written) plus
# tests/fuzz/seeds/<target>/ and tests/fuzz/regressions/<target>/, in a temp
# corpus folder. Each target runs FUZZ_SECONDS with -timeout=10 and
# -rss_limit_mb=2048; a crash, leak, timeout or OOM leaves its input under
# $FUZZ_OUT/<target>/artifacts/ (keep it in tests/fuzz/regressions/<target>/
# once fixed). Prints one line per target: runs, CPU seconds, coverage, and
# the artifacts found; exits 1 when any target found one.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
BUILD=build-fuzz
FUZZ_OUT=${FUZZ_OUT:-$ROOT/$BUILD/run}
CORPUS_REAL=${CORPUS_REAL:-$ROOT/../shared/corpus/real}
CC=${FUZZ_CC:-clang}
build_only=0
if [[ ${1:-} == --build-only ]]; then
	build_only=1
	shift
fi

command -v "$CC" >/dev/null || { echo "run.sh: $CC not found" >&2; exit 77; }

targets=("$@")
if ((${#targets[@]} == 0)); then
	for f in tests/fuzz/fuzz_*.c; do
		t=$(basename "$f" .c)
		targets+=("$t")
	done
fi

PKGS="milter gmime-3.0 glib-2.0 gio-2.0 libcurl openssl sqlite3 json-glib-1.0 vips libjpeg libexttextcat libpcre2-8 gumbo cairo pangocairo libmicrohttpd"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS_F="-O1 -g -std=gnu11 -D_GNU_SOURCE -I. $(pkg-config --cflags $PKGS) $SAN -fsanitize=fuzzer-no-link -MMD -MP"
LIBS="$(pkg-config --libs $PKGS) -lstemmer -lm -lpthread"

echo "== building $BUILD/liblettergate.a with $CC"
make -s -j"$FUZZ_JOBS" BUILD=$BUILD CC="$CC" CFLAGS="$CFLAGS_F" LDFLAGS="$SAN" \
	$BUILD/liblettergate.a || { echo "run.sh: library build failed" >&2; exit 1; }
mkdir -p "$BUILD/fuzz"
for t in "${targets[@]}"; do
	src=tests/fuzz/$t.c
	[[ -f $src ]] || { echo "run.sh: no $src" >&2; exit 2; }
	if [[ ! -x $BUILD/fuzz/$t || $src -nt $BUILD/fuzz/$t || tests/fuzz/fuzz_common.h -nt $BUILD/fuzz/$t ||
		$BUILD/liblettergate.a -nt $BUILD/fuzz/$t ]]; then
		echo "  LD $BUILD/fuzz/$t"
		$CC $CFLAGS_F -DLG_ROOT_DEFAULT="\"$ROOT\"" -fsanitize=fuzzer -o "$BUILD/fuzz/$t" "$src" \
			$BUILD/liblettergate.a $LIBS || exit 1
	fi
done
((build_only)) && exit 0

# full malloc stacks, so that tests/fuzz/lsan.supp can match frames below g_malloc
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:fast_unwind_on_malloc=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# tests/lsan.supp (the suite's) plus tests/fuzz/lsan.supp (reported leaks in
# others' code, see that file)
cat tests/lsan.supp tests/fuzz/lsan.supp >"$BUILD/lsan.supp" 2>/dev/null
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/$BUILD/lsan.supp}
export LG_ROOT=$ROOT

seed_real() { # DIR KIND
	local dir=$1 kind=$2
	[[ -d $CORPUS_REAL ]] || return 0
	case $kind in
	eml) find "$CORPUS_REAL" -name '*.eml' -size -1M -exec cp -t "$dir" {} + ;;
	html) # the HTML bodies of the real messages, roughly cut out
		find "$CORPUS_REAL" -name '*.eml' -size -1M -print0 | xargs -0 grep -l -i '<html' |
			head -n 80 | while read -r f; do
			sed -n '/<[hH][tT][mM][lL]/,/<\/[hH][tT][mM][lL]>/p' "$f" >"$dir/$(basename "$f").html"
		done ;;
	esac
}

run_target() { # TARGET
	local t=$1 dir=$FUZZ_OUT/$t corpus seeds log
	rm -rf "$dir"
	mkdir -p "$dir/corpus" "$dir/artifacts"
	corpus=$dir/corpus
	seeds=$dir/seeds
	mkdir -p "$seeds"
	case $t in
	fuzz_message) seed_real "$seeds" eml ;;
	fuzz_html) seed_real "$seeds" html ;;
	fuzz_screen)
		for f in conf/rules/*.rules; do { printf '\x01\x00'; cat "$f"; } >"$seeds/rules-$(basename "$f")"; done
		for f in tests/data/screen/*; do [[ -f $f ]] && { printf '\x00\x00'; head -c 8000 "$f"; } >"$seeds/text-$(basename "$f")"; done ;;
	fuzz_config) cp conf/lettergate.conf "$seeds/" ;;
	fuzz_csv) cp conf/prisoners.example.csv "$seeds/" ;;
	esac
	[[ -d tests/fuzz/seeds/$t ]] && cp -r tests/fuzz/seeds/$t/. "$seeds/"
	[[ -d tests/fuzz/regressions/$t ]] && cp -r tests/fuzz/regressions/$t/. "$seeds/"
	local max_len=262144
	[[ $t == fuzz_screen ]] && max_len=8192 # a rule set loads per input: keep them small
	log=$dir/fuzz.log
	local t0 t1
	t0=$(awk '{print $14+$15+$16+$17}' /proc/self/stat)
	/usr/bin/time -f '%U %S %M' -o "$dir/time" \
		"$BUILD/fuzz/$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-max_len=$max_len -close_fd_mask=1 -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/" ${FUZZ_ARGS:-} "$corpus" "$seeds" >"$log" 2>&1
	echo $? >"$dir/rc"
}

echo "== fuzzing ${targets[*]} for ${FUZZ_SECONDS}s each, $FUZZ_JOBS at a time (out: $FUZZ_OUT)"
mkdir -p "$FUZZ_OUT"
running=0
for t in "${targets[@]}"; do
	run_target "$t" &
	running=$((running + 1))
	if ((running >= FUZZ_JOBS)); then
		wait -n
		running=$((running - 1))
	fi
done
wait

bad=0
printf '%-14s %10s %8s %8s %8s %s\n' target runs cpu_s cov rss_mb artifacts
for t in "${targets[@]}"; do
	dir=$FUZZ_OUT/$t
	read -r u s m < <(tail -n1 "$dir/time" 2>/dev/null) || { u=0 s=0 m=0; }
	runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/fuzz.log" | grep -o '[0-9]*$')
	cov=$(grep -o 'cov: [0-9]*' "$dir/fuzz.log" | tail -n1 | grep -o '[0-9]*')
	arts=$(ls "$dir/artifacts" 2>/dev/null | tr '\n' ' ')
	cpu=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.1f", u+s}')
	printf '%-14s %10s %8s %8s %8s %s\n' "$t" "${runs:-?}" "$cpu" "${cov:-?}" "$((${m:-0} / 1024))" "${arts:--}"
	[[ -n $arts ]] && bad=1
	rc=$(cat "$dir/rc" 2>/dev/null || echo 1)
	if [[ $rc != 0 && -z $arts ]]; then
		echo "  $t exited $rc without an artifact; see $dir/fuzz.log"
		bad=1
	fi
done
exit $bad
