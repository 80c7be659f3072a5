#!/bin/bash
# t-soak-short.sh - a short memory soak (tests/bench/soak.sh): 60 s under the
# sanitizers (ASan: leaks and memory errors end the daemon, which the soak
# notices), 30 s in the normal build, at 20 letters/s through Postfix.
# Passes when the milter child's RSS stays flat, every accepted message is
# stored, nothing was refused, and the daemon's log has no sanitizer report.
# lg-test: exclusive (memory over time under load)
set -u
. "$(dirname "$0")/../lib/common.sh"
need_cmd /usr/sbin/postfix sqlite3
need_bin lettergated lettergatectl
if [[ $LG_BUILD == *san* ]]; then
	secs=${LG_SOAK_SECONDS:-60}
else
	secs=${LG_SOAK_SECONDS:-30}
fi
out=$(SOAK_SAMPLE=3 SOAK_REPORT=$LG_TMP/soak.md bash "$LG_ROOT/tests/bench/soak.sh" "$secs" 20 4 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
is "$rc" 0 "soak of ${secs} s: memory flat, all accepted stored, nothing refused"
if grep -rl 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$LG_TMP"/gw/daemon.log 2>/dev/null; then
	fail "no sanitizer report in the daemon's log" "$(grep -m5 'Sanitizer\|runtime error' "$LG_TMP"/gw/daemon.log)"
else
	ok "no sanitizer report in the daemon's log"
fi
done_testing
