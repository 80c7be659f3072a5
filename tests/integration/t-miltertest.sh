#!/bin/bash
# t-miltertest.sh - the real daemon driven over the milter protocol by
# miltertest (tests/milter/gateway.lua): RCPT replies, recipient removal,
# discard, end-of-message refusal, the size limit; and with [limits]
# sessions = 1 (tests/milter/sessions.lua) a second concurrent session
# refused with 451 4.3.0.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd miltertest
need_bin lettergated lettergatectl

GW=$(lg_tmpdir gw)
gw_setup "$GW" '[limits]
message_bytes = 64K
memory_bytes = 16K'
on_exit gw_stop "$GW"
gw_start "$GW" || { fail "lettergated starts"; done_testing; }

mt_run() { # SCRIPT GW: its output in $out (also printed as comments), exit code in $rc
	out=$(miltertest -s "$LG_ROOT/tests/milter/$1" -D "sock=unix:$(gw_socket "$2")" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/# /'
}

mt_run gateway.lua "$GW"
is "$rc" 0 "miltertest script passes"
like "$out" '# [0-9]+ passed, 0 failed' "every miltertest check passed"
n=$(gw_letter_count "$GW")
is "$n" 2 "two letters stored (the discarded and the mixed message)"
gw_stop "$GW"

GW2=$(lg_tmpdir gw2)
gw_setup "$GW2" '[limits]
sessions = 1'
on_exit gw_stop "$GW2"
gw_start "$GW2" || { fail "lettergated starts with sessions = 1"; done_testing; }
mt_run sessions.lua "$GW2"
is "$rc" 0 "sessions = 1: miltertest script passes"
like "$out" '# 3 passed, 0 failed' "sessions = 1: a second concurrent session gets 451, a later one is served"
like "$(cat "$GW2/daemon.log")" 'too many concurrent sessions \(1\)' "the refusal is logged"
done_testing
