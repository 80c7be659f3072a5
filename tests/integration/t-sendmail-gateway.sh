#!/bin/bash
# t-sendmail-gateway.sh - the end-to-end test of t-postfix-gateway.sh behind a
# real Sendmail 8.17 (Debian's packages extracted, never installed:
# tests/lib/sendmail.sh): a Russian letter reaches the spool; 550 5.1.1 for
# an unknown alias, 550 5.1.6 for a released prisoner, 550 5.7.1 for a
# letter with nothing of the writer's; a message to a prisoner and an
# outside address keeps only the outside recipient; a retried message makes
# no second letter; with the daemon down Sendmail answers 451 (F=T).
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/gateway.sh"
. "$LG_ROOT/tests/lib/sendmail.sh"

need_cmd swaks /usr/sbin/smtp-sink unshare
need_bin lettergated lettergatectl
sm_install || skip_all "no Sendmail: apt-get download sendmail-bin failed and $SM_ROOT is empty"

# Sendmail refuses a milter socket below a world-writable folder (such as
# /tmp, where LG_TMP lives): the gateway's folder goes elsewhere.
GW=$(sm_safe_dir) || skip_all "no folder outside world-writable ones for the socket"
on_exit rm -rf "$GW"
SM=$(lg_tmpdir sm)
CAP=$(lg_tmpdir capture)
gw_setup "$GW"
on_exit gw_stop "$GW"
on_exit sm_stop "$SM"
gw_start "$GW" || { fail "lettergated starts"; done_testing; }
port=$(free_port)
SM_CAPTURE=$CAP sm_start "$SM" "$port" "unix:$(gw_socket "$GW")" letters.example.org ||
	{ fail "sendmail starts"; done_testing; }
ok "sendmail 8.17 starts on 127.0.0.1:$port with the milter"

send() { # TO[,TO...] [swaks args...]
	local to=$1
	shift
	swaks --server "127.0.0.1:$port" --from anna.belova@example.net --to "$to" \
		--header 'Subject: Письмо' --header 'Content-Type: text/plain; charset=utf-8' \
		--timeout 30 "$@" 2>&1
}
nletters() { gw_letter_count "$GW"; }

BODY='Здравствуйте, Иван! Пишу вам из Казани. Весна пришла рано, во дворе расцвела сирень.'
out=$(send ivan.petrov@letters.example.org --header 'Message-Id: <sm-1@example.net>' --body "$BODY")
like "$out" '250 2\.0\.0' "Russian letter accepted by Sendmail"
if wait_until 20 bash -c "ls '$GW/out'/*.json >/dev/null 2>&1"; then
	ok "letter appears in the spool"
	like "$(cat "$GW"/out/*.json)" 'сирень' "spool JSON carries the text"
else
	fail "letter appears in the spool" "$(tail -n 20 "$GW/daemon.log")"
fi
qid=$(sed -n 's/.*250 2\.0\.0 \([A-Za-z0-9]*\) .*/\1/p' <<<"$out" | head -n1)
like "$(cat "$GW/daemon.log")" "queue $qid: letter .* prisoner=ivan.petrov verdict=accept" \
	"the daemon logs Sendmail's queue id"

out=$(send ivan.petrov@letters.example.org --header 'Message-Id: <sm-1@example.net>' --body "$BODY")
like "$out" '250 2\.0\.0' "retried message accepted"
sleep 0.5
is "$(nletters)" 1 "a retried message makes no second letter"

out=$(send nobody.here@letters.example.org --body "$BODY")
like "$out" '550 5\.1\.1' "unknown alias refused with 550 5.1.1"
out=$(send pavel.gromov@letters.example.org --body "$BODY")
like "$out" '550 5\.1\.6' "released prisoner refused with 550 5.1.6"

out=$(send maria.sokolova@letters.example.org,friend@outside.test \
	--header 'Message-Id: <sm-2@example.net>' --body 'Дорогая Мария, обнимаем вас крепко. Ждём домой.')
like "$out" 'RCPT TO:<maria.sokolova@letters.example.org>' "both recipients were given"
like "$out" '250 2\.0\.0' "message to a prisoner and an outside address accepted"
is "$(nletters)" 2 "the prisoner's letter is stored"
# smtp-sink creates its file before it has written the envelope into it:
# wait for the recipients' lines, not for the file
# shellcheck disable=SC2046
relayed() { grep -qs '^X-Rcpt-Args' $(sm_captured "$SM") /dev/null; }
if wait_until 30 relayed || { sm_flush "$SM"; wait_until 20 relayed; }; then
	rc=$(grep -h '^X-Rcpt-Args' $(sm_captured "$SM"))
	like "$rc" 'friend@outside\.test' "outside recipient delivered"
	if grep -q maria.sokolova <<<"$rc"; then
		fail "prisoner recipient removed from the envelope" "$rc"
	else
		ok "prisoner recipient removed from the envelope"
	fi
else
	fail "outside recipient delivered" "queue: $(sm_queue_count "$SM")"
fi

out=$(send ivan.petrov@letters.example.org --header 'Message-Id: <sm-3@example.net>' --body '> On Mon, Anna wrote:
> old text only')
like "$out" '550 5\.7\.1' "a letter with nothing of the writer's is refused with 550 5.7.1"

gw_stop "$GW"
out=$(send ivan.petrov@letters.example.org --body "$BODY")
like "$out" '451 4\.[0-9]\.[0-9]' "with the daemon down Sendmail answers 451"
done_testing
