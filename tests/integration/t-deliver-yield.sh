#!/bin/bash
# t-deliver-yield.sh - delivery yields to SMTP sessions ([delivery]
# yield_seconds): while a message is in progress (MAIL FROM given, not yet
# ended) a stored letter waits; it is delivered as soon as the session ends,
# and after yield_seconds even when the session never ends.
# lg-test: exclusive (timing of delivery against sessions)
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd swaks python3 /usr/sbin/postfix
need_bin lettergated lettergatectl

GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
gw_setup "$GW" $'[delivery]\nyield_seconds = 4\ninterval_ms = 100'
gw_pf_start "$GW" "$PF" letters.example.org

send() { # MESSAGE-ID
	pf_send "$port" anna.belova@example.net ivan.petrov@letters.example.org "$1" \
		"Здравствуйте, Иван! Пишу вам снова, у нас всё хорошо ($1)."
}
spooled() { ls "$GW"/out/*.json 2>/dev/null | wc -l; }

# An SMTP session that stays in the middle of a message until told to stop
# (MAIL FROM and RCPT given, DATA never sent).
HOLD=$(lg_tmpdir hold)
python3 - "$port" "$HOLD/stop" "$HOLD/ready" <<'PY' &
import os, smtplib, sys, time
port, stop, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = smtplib.SMTP("127.0.0.1", port, timeout=60)
s.ehlo("holder.example.net")
s.mail("olga.nikitina@example.net")
s.rcpt("ivan.petrov@letters.example.org")
open(ready, "w").close()
t0 = time.time()
while not os.path.exists(stop) and time.time() - t0 < 50:
    time.sleep(0.05)
s.rset()
s.quit()
PY
holder=$!
on_exit stop_pid "$holder" 2
wait_until 20 test -f "$HOLD/ready" || fail "the holding session is in a message"

t0=$(date +%s%N)
like "$(send yield-1)" '250 2\.0\.0' "a letter is accepted while another message is in progress"
sleep 1.5
is "$(spooled)" 0 "delivery waits while a message is in progress"
if wait_until 10 bash -c "ls '$GW'/out/*.json >/dev/null 2>&1"; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	if ((ms >= 3000)); then
		ok "after yield_seconds (4 s) the letter is delivered though the session goes on (${ms} ms)"
	else
		fail "the letter waited for yield_seconds" "${ms} ms"
	fi
else
	fail "the letter is delivered after yield_seconds"
fi
touch "$HOLD/stop"
wait "$holder" 2>/dev/null

# Nothing in progress: delivered at once.
t0=$(date +%s%N)
like "$(send yield-2)" '250 2\.0\.0' "a second letter is accepted"
if wait_until 10 bash -c "[ \$(ls '$GW'/out/*.json 2>/dev/null | wc -l) -ge 2 ]"; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	if ((ms < 3000)); then
		ok "with no session in progress the letter is delivered at once (${ms} ms)"
	else
		fail "with no session in progress the letter is delivered at once" "${ms} ms"
	fi
else
	fail "the second letter is delivered"
fi
done_testing
