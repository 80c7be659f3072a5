#!/bin/bash
# t-malloc.sh - the daemon's allocator (Makefile, MALLOC).
#   - The normal build links jemalloc: lettergated needs libjemalloc, malloc
#     and free bind to it, the running daemon has it mapped, and it starts
#     without the glibc-tunables re-exec (no GLIBC_TUNABLES in its
#     environment).
#   - A build with glibc's malloc (MALLOC=glibc, and the sanitizer build)
#     starts itself once more with GLIBC_TUNABLES=glibc.malloc.tcache_count=200
#     and leaves tunables already in the environment alone.
# (The whole suite runs on both builds, so both allocators carry letters.)
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd ldd
need_bin lettergated

BIN=$LG_BIN/lettergated
GW=$(lg_tmpdir gw)
gw_setup "$GW"
on_exit gw_stop "$GW"

# the GLIBC_TUNABLES line of process PID's environment (empty when unset)
tunables_of() { tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | grep '^GLIBC_TUNABLES='; }
unlike() {
	if [[ $1 =~ $2 ]]; then
		fail "$3" "got:  '$1'" "want no match: /$2/"
	else
		ok "$3"
	fi
}
start() { # [TUNABLES]: starts the daemon with GLIBC_TUNABLES unset, or set to TUNABLES
	if [[ $# -gt 0 ]]; then
		(export GLIBC_TUNABLES=$1; gw_start "$GW")
	else
		(unset GLIBC_TUNABLES; gw_start "$GW")
	fi || {
		fail "lettergated starts"
		done_testing
	}
}

if ldd "$BIN" | grep -q 'libjemalloc\.so'; then
	ok "the normal build needs libjemalloc"
	binds=$(env -u GLIBC_TUNABLES LD_DEBUG=bindings "$BIN" -h 2>&1 | grep -E "normal symbol \`(malloc|free)'")
	like "$binds" "to [^ ]*libjemalloc\\.so[^ ]* .*symbol \`malloc'" "malloc binds to jemalloc"
	unlike "$binds" "to [^ ]*libc\\.so[^ ]* .*symbol \`malloc'" "and not to glibc's"
	start
	pid=$(cat "$GW/pid")
	child=$(gw_child_pid "$GW")
	grep -q libjemalloc "/proc/$child/maps" && ok "the running daemon has jemalloc mapped" ||
		fail "the running daemon has jemalloc mapped"
	is "$(tunables_of "$pid")" "" "it starts without the glibc-tunables re-exec"
else
	ldd "$BIN" | grep -q 'libjemalloc\.so' && fail "a glibc build does not need libjemalloc" ||
		ok "a glibc build does not need libjemalloc"
	start
	pid=$(cat "$GW/pid")
	is "$(tunables_of "$pid")" "GLIBC_TUNABLES=glibc.malloc.tcache_count=200" \
		"it starts itself again with glibc's tcache raised"
	gw_stop "$GW"
	start glibc.malloc.trim_threshold=131072
	pid=$(cat "$GW/pid")
	is "$(tunables_of "$pid")" "GLIBC_TUNABLES=glibc.malloc.trim_threshold=131072" \
		"tunables already set are left alone"
fi
gw_stop "$GW"
done_testing
