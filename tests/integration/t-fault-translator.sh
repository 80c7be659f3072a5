#!/bin/bash
# t-fault-translator.sh - the translator down: 451 4.3.0, then the letter is
# delivered after the sender's retry. swaks plays the writer's MTA against
# the gateway's real Postfix: a Ukrainian letter gets 451 4.3.0 while
# Apertium APy is down ([translate] on_failure = tempfail) and nothing is
# stored or queued; APy starts, the same message is offered again (an MTA
# retries with the same Message-ID) and is taken: one letter, translated to
# Russian, in the spool.
#
# Until 2026-12 a second private Postfix played the sender's MTA. On CI's
# loaded machine it hung three times before the gateway was involved (its
# smtpd never answered the first client and logged nothing; its "master -t"
# never returned), which failed the run without telling anything about
# lettergate. What a real MTA does with a 451 is Postfix's contract; what
# this test owns is the gateway's answer and that the retry then gets in.
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
gw_setup "$GW" "[translate]
apertium_url = http://127.0.0.1:$aport
routes = uk:apertium;be:apertium
on_failure = tempfail
timeout_ms = 3000"
on_exit apy_stop "$AP"
on_exit gw_stop "$GW"
on_exit pf_stop "$PF"
gw_start "$GW" || { fail "lettergated starts"; done_testing; }
port=$(free_port)
pf_start "$PF" "$port" "unix:$(gw_socket "$GW")" letters.example.org || { fail "gateway postfix starts"; done_testing; }

submit() {
	swaks --server "127.0.0.1:$port" --from oksana@example.net --to ivan.petrov@letters.example.org \
		--helo sender.lettergate.test \
		--header 'Message-Id: <uk-fault-1@example.net>' --header 'Subject: Лист' \
		--header 'Content-Type: text/plain; charset=utf-8' --timeout 30 \
		--body 'Привіт, Іване! Ми надіслали тобі книжки та теплі шкарпетки. Тримайся, ми з тобою.' 2>&1
}

out=$(submit)
like "$out" '451 4\.3\.0' "with the translator down the gateway answers 451 4.3.0"
if [[ $out == *"250 2.0.0 Ok: queued"* ]]; then fail "and does not take the message"; else ok "and does not take the message"; fi
like "$(pf_log "$PF" | grep -m1 'milter-reject')" '4\.3\.0' "the gateway's Postfix logs the milter's 451 4.3.0"
is "$(gw_letters "$GW")" 0 "nothing stored while the translator is down"
is "$(pf_queue_count "$PF")" 0 "nothing queued in the gateway's Postfix"
like "$(grep -m1 'message verdict=tempfail' "$GW/daemon.log")" 'reply=451' "the daemon logs the verdict and its 451"

apy_start "$AP" "$aport" || { fail "APy starts"; done_testing; }
ok "APy starts"
out=$(submit)
like "$out" '250 2\.0\.0' "the sender's retry is taken"
if wait_until 30 eval '[[ $(gw_letters "$GW") == 1 ]]'; then
	ok "after the sender's retry the letter is stored"
else
	fail "after the sender's retry the letter is stored" "$(tail -n 10 "$GW/daemon.log")"
fi
if wait_until 20 bash -c "ls '$GW'/out/*.json >/dev/null 2>&1"; then
	json=$(cat "$GW"/out/*.json)
	like "$json" 'Привет|книги|носки' "the spool holds the Russian translation"
	like "$json" '"lang" : "uk"' "the original is kept as Ukrainian"
else
	fail "the letter reaches the spool" "$(tail -n 10 "$GW/daemon.log")"
fi
is "$(gw_letters "$GW")" 1 "exactly one letter"
check "the gateway's Postfix queue drains" pf_wait_queue_empty "$PF" 30
done_testing
