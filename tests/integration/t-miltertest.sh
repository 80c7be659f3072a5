#!/bin/bash
# t-miltertest.sh - the real daemon driven over the milter protocol by
# miltertest (tests/milter/gateway.lua): RCPT replies, recipient removal,
# discard, end-of-message refusal, the size limit.
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

out=$(miltertest -s "$LG_ROOT/tests/milter/gateway.lua" -D "sock=unix:$(gw_socket "$GW")" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
is "$rc" 0 "miltertest script passes"
like "$out" '# [0-9]+ passed, 0 failed' "every miltertest check passed"
n=$(gw_ctl "$GW" letters list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
is "$n" 2 "two letters stored (the discarded and the mixed message)"
done_testing
