#!/bin/bash
# t-libmilter.sh - scripts/libmilter.sh and the build's choice of libmilter.
# When the Debian archive cannot be reached, the script says so on one line,
# exits 1 and leaves nothing behind (the build then uses the system's
# libmilter). When .deps/libmilter/libmilter.a is there, it has no worker
# pool and the daemon under test is linked with it, not with Debian's shared
# library; otherwise the daemon uses the shared one. (Building the library
# for real is scripts/test.sh's first step, so every suite run exercises it.)
# With the built library, behind a real Postfix: a finished session's thread
# waits for the next session and runs it, and ends after 10 s without one.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd nm ldd swaks /usr/sbin/postfix
need_bin lettergated lettergatectl

# An unreachable archive: a proxy nothing listens on.
out=$LG_TMP/lib
dead=$(free_port)
msg=$(cd "$LG_ROOT" && http_proxy=http://127.0.0.1:$dead LG_LIBMILTER_OUT=$out \
	timeout 120 scripts/libmilter.sh --force 2>&1)
rc=$?
is "$rc" 1 "libmilter.sh exits 1 when the archive cannot be reached"
like "$msg" "no source list could be downloaded" "it says what failed"
like "$msg" "the system's libmilter \\(worker pool\\) stays in use" "and what the build uses instead"
is "$(printf '%s\n' "$msg" | wc -l)" 1 "in one line"
[[ ! -e $out ]] && ok "nothing is left behind" || fail "nothing is left behind" "$(ls -la "$out")"

lib=$LG_ROOT/.deps/libmilter/libmilter.a
if [[ -f $lib ]]; then
	syms=$(nm "$lib" 2>/dev/null)
	has_sym() { grep -q "$1" <<<"$syms"; }
	has_sym ' T mi_pool_controller_init' &&
		fail "the built libmilter has no worker pool" ||
		ok "the built libmilter has no worker pool"
	has_sym ' U poll$' &&
		ok "it waits with poll (descriptors above 1024 work)" ||
		fail "it waits with poll (descriptors above 1024 work)"
	has_sym ' t mi_session_thread$' &&
		ok "it keeps session threads (scripts/libmilter-session-threads.patch)" ||
		fail "it keeps session threads (scripts/libmilter-session-threads.patch)"
	has_sym ' T mi_rd_cmd_buffered$' &&
		ok "it reads commands ahead (scripts/libmilter-read-ahead.patch)" ||
		fail "it reads commands ahead (scripts/libmilter-read-ahead.patch)"
	if ldd "$LG_BIN/lettergated" | grep -q 'libmilter\.so'; then
		fail "lettergated is linked with the built libmilter" "$(ldd "$LG_BIN/lettergated" | grep milter)"
	else
		ok "lettergated is linked with the built libmilter"
	fi
else
	ldd "$LG_BIN/lettergated" | grep -q 'libmilter\.so' &&
		ok "without a built libmilter, lettergated uses the system's" ||
		fail "without a built libmilter, lettergated uses the system's"
	done_testing
fi

# Session threads, behind a real Postfix: one milter session per SMTP session.
GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
gw_setup "$GW"
gw_pf_start "$GW" "$PF" letters.example.org
pid=$(gw_child_pid "$GW")
# libmilter's threads carry the process's name (the daemon's own are named);
# the first two are the listener and the signal thread, started before any
# session, the others are session threads
session_tids() {
	local t
	for t in /proc/"$pid"/task/*; do
		[[ $(cat "$t/comm" 2>/dev/null) == lettergated ]] && echo "${t##*/}"
	done | sort -n | tail -n +3
}
send() { # N
	pf_send "$port" "writer$1@example.net" ivan.petrov@letters.example.org "threads-$1" \
		"Здравствуйте, Иван! Пишу вам в $1-й раз из Самары: у нас всё хорошо, ждём вас дома."
}
like "$(send 1)" '250 2\.0\.0' "letter 1 accepted"
sleep 1
first=$(session_tids)
is "$(echo "$first" | grep -c .)" 1 "the finished session's thread stays, waiting for the next session"
for i in 2 3 4 5; do
	like "$(send "$i")" '250 2\.0\.0' "letter $i accepted"
	sleep 0.5
done
is "$(session_tids)" "$first" "the next four sessions ran on it: no thread started or ended"
pids=()
for i in 6 7 8 9; do
	send "$i" >"$LG_TMP/send$i" &
	pids+=($!)
done
wait "${pids[@]}"
for i in 6 7 8 9; do like "$(cat "$LG_TMP/send$i")" '250 2\.0\.0' "letter $i, of four at once, accepted"; done
idle() { [[ -z $(session_tids) ]]; }
wait_until 30 idle && ok "waiting threads end after 10 s without a session" ||
	fail "waiting threads end after 10 s without a session" "$(session_tids)"
is "$(gw_letter_count "$GW")" 9 "nine letters stored"
done_testing
