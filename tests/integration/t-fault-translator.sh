#!/bin/bash
# t-fault-translator.sh - the translator down: 451 4.3.0, then the letter is
# delivered after the sender's retry. A second private Postfix plays the
# sender's MTA: swaks hands it a Ukrainian letter (250), it relays to the
# gateway's Postfix, which answers 451 4.3.0 while Apertium APy is down
# ([translate] on_failure = tempfail): the message waits in the sender's
# queue. APy starts, the sender's queue is flushed: one letter,
# translated to Russian, in the spool; the sender's queue drains.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"
. "$LG_ROOT/tests/lib/apy.sh"
. "$LG_ROOT/tests/lib/loadgen.sh"

need_cmd swaks /usr/sbin/postfix apertium-apy sqlite3
need_bin lettergated lettergatectl

AP=$(lg_tmpdir apy)
aport=$(free_port)
GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
SND=$(lg_tmpdir sender)
gw_setup "$GW" "[translate]
apertium_url = http://127.0.0.1:$aport
routes = uk:apertium;be:apertium
on_failure = tempfail
timeout_ms = 3000"
on_exit apy_stop "$AP"
on_exit gw_stop "$GW"
on_exit pf_stop "$PF"
on_exit pf_stop "$SND"
gw_start "$GW" || { fail "lettergated starts"; done_testing; }
port=$(free_port)
pf_start "$PF" "$port" "unix:$(gw_socket "$GW")" letters.example.org || { fail "gateway postfix starts"; done_testing; }
start_sender() {
	sport=$(free_port)
	PF_MAIN_EXTRA="default_transport = smtp:[127.0.0.1]:$port
relay_transport = smtp:[127.0.0.1]:$port
smtp_tls_security_level = none
smtp_connect_timeout = 5s
myhostname = sender.lettergate.test" pf_start "$SND" "$sport" "" letters.example.org
}
start_sender || { fail "sender postfix starts"; done_testing; }

submit() {
	swaks --server "127.0.0.1:$sport" --from oksana@example.net --to ivan.petrov@letters.example.org \
		--header 'Message-Id: <uk-fault-1@example.net>' --header 'Subject: Лист' \
		--header 'Content-Type: text/plain; charset=utf-8' --timeout 30 \
		--body 'Привіт, Іване! Ми надіслали тобі книжки та теплі шкарпетки. Тримайся, ми з тобою.' 2>&1
}
# A freshly started second Postfix on a loaded machine has twice kept its
# first client waiting past swaks' timeout without logging a line (this
# sender plays the writer's MTA; it is not the system under test): then it is
# restarted on a fresh port and the letter handed over again (the same
# Message-ID, so a message that did get through is not doubled).
out=$(submit)
for attempt in 2 3; do
	[[ $out == *"250 2.0.0"* ]] && break
	note "the sender's Postfix did not answer; restarting it (attempt $attempt)"
	pf_stop "$SND"
	start_sender || { fail "sender postfix restarts"; done_testing; }
	out=$(submit)
done
like "$out" '250 2\.0\.0' "the sender's MTA takes the Ukrainian letter"
if wait_until 20 eval 'pf_log "$SND" | grep -q "status=deferred"'; then
	ok "the sender's MTA defers it"
else
	fail "the sender's MTA defers it" "$(pf_log "$SND" | tail -n 5)"
fi
like "$(pf_log "$SND" | grep 'status=deferred' | head -n1)" '451 4\.3\.0' "the gateway answered 451 4.3.0"
like "$(pf_log "$PF" | grep -m1 'milter-reject')" '4\.3\.0' "the gateway's Postfix logs the milter's 451 4.3.0"
is "$(gw_letters "$GW")" 0 "nothing stored while the translator is down"
# Still queued for a retry, neither delivered nor bounced. The test Postfix
# retries every second (minimal_backoff_time = 1s), so the message moves
# between deferred/ and active/: count every queue.
is "$(pf_queue_count "$SND")" 1 "the message waits in the sender's queue for a retry"

apy_start "$AP" "$aport" || { fail "APy starts"; done_testing; }
ok "APy starts"
pf_flush "$SND" 2>/dev/null
if wait_until 60 eval '[[ $(gw_letters "$GW") == 1 ]]'; then
	ok "after the sender's retry the letter is stored"
else
	pf_flush "$SND" 2>/dev/null
	wait_until 30 eval '[[ $(gw_letters "$GW") == 1 ]]'
	is "$(gw_letters "$GW")" 1 "after the sender's retry the letter is stored"
fi
check "the sender's queue drains" pf_wait_queue_empty "$SND" 30
if wait_until 20 bash -c "ls '$GW'/out/*.json >/dev/null 2>&1"; then
	json=$(cat "$GW"/out/*.json)
	like "$json" 'Привет|книги|носки' "the spool holds the Russian translation"
	like "$json" '"lang" : "uk"' "the original is kept as Ukrainian"
else
	fail "the letter reaches the spool" "$(tail -n 10 "$GW/daemon.log")"
fi
is "$(gw_letters "$GW")" 1 "exactly one letter"
done_testing
