#!/bin/bash
# t-postfix-gateway.sh - end to end through a real Postfix: a Russian letter
# reaches the spool; an unknown alias gets 550 5.1.1; a released prisoner
# 550 5.1.6; a message to a prisoner and an outside address keeps the
# outside recipient; a retried message makes no second letter; with the
# daemon down Postfix answers 451; no letter text in the daemon's log; and
# (as root, where no syslog daemon holds /dev/log) libmilter logs no protocol
# error: a callback answering where the negotiated protocol expects no answer
# made it log one for every header.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"
. "$LG_ROOT/tests/lib/syslog.sh"

need_cmd swaks /usr/sbin/postfix
need_bin lettergated lettergatectl

GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
CAP=$(lg_tmpdir capture)
gw_setup "$GW"
on_exit gw_stop "$GW"
on_exit pf_stop "$PF"
syslog_listen
gw_start "$GW" || { fail "lettergated starts"; done_testing; }
ok "lettergated starts and listens"

port=$(free_port)
PF_CAPTURE=$CAP pf_start "$PF" "$port" "unix:$(gw_socket "$GW")" letters.example.org ||
	{ fail "postfix starts"; done_testing; }

send() { # TO... (then swaks args after --)
	local tos=""
	# one --to with a comma list: swaks keeps only the last of several --to
	while [ $# -gt 0 ] && [ "$1" != -- ]; do tos=${tos:+$tos,}$1; shift; done
	[ "${1:-}" = -- ] && shift
	swaks --server "127.0.0.1:$port" --from anna.belova@example.net --to "$tos" \
		--header 'Subject: Письмо' --header 'Content-Type: text/plain; charset=utf-8' \
		--timeout 30 "$@" 2>&1
}

BODY='Здравствуйте, Иван! Пишу вам из Казани. Весна пришла рано, во дворе расцвела сирень.'
out=$(send ivan.petrov@letters.example.org -- --header 'Message-Id: <e2e-1@example.net>' --body "$BODY")
like "$out" '250 2\.0\.0' "Russian letter accepted by Postfix"
if wait_until 20 bash -c "ls '$GW/out'/*.json >/dev/null 2>&1"; then
	ok "letter appears in the spool"
	json=$(ls "$GW"/out/*.json | head -n1)
	txt=${json%.json}.txt
	like "$(cat "$json")" '"alias" : "ivan.petrov"' "spool JSON names the prisoner"
	like "$(cat "$json")" 'сирень' "spool JSON carries the text"
	like "$(cat "$txt")" 'Петров Иван Сергеевич' "printed text starts with the prisoner's name"
	like "$(cat "$txt")" 'ИК-11' "printed text names the facility"
	if grep -q 'anna.belova@example.net' "$json"; then
		fail "writer's address never reaches the partner"
	else
		ok "writer's address never reaches the partner"
	fi
else
	fail "letter appears in the spool" "$(tail -n 20 "$GW/daemon.log")"
fi
state=$(gw_ctl "$GW" letters list --json | python3 -c 'import json,sys; print(",".join(sorted(l["state"] for l in json.load(sys.stdin))))')
like "$state" '^sent$' "letter state is sent after delivery"

# The same message again (a sender's retry after a lost connection).
out=$(send ivan.petrov@letters.example.org -- --header 'Message-Id: <e2e-1@example.net>' --body "$BODY")
like "$out" '250 2\.0\.0' "retried message accepted"
sleep 0.5
n=$(gw_letter_count "$GW")
is "$n" 1 "a retried message makes no second letter"

out=$(send nobody.here@letters.example.org -- --body "$BODY")
like "$out" '550 5\.1\.1' "unknown alias refused with 550 5.1.1"

out=$(send pavel.gromov@letters.example.org -- --body "$BODY")
like "$out" '550 5\.1\.6' "released prisoner refused with 550 5.1.6"
like "$out" 'released' "5.1.6 reply says what happened"

out=$(send maria.sokolova@letters.example.org friend@outside.test -- --header 'Message-Id: <e2e-2@example.net>' --body 'Дорогая Мария, обнимаем вас крепко. Ждём домой.')
like "$out" '250 2\.0\.0' "message to a prisoner and an outside address accepted"
like "$out" 'RCPT TO:<maria.sokolova@letters.example.org>' "both recipients were given"
sleep 0.5
n=$(gw_ctl "$GW" letters list --json | python3 -c 'import json,sys; print(sum(1 for l in json.load(sys.stdin) if l["prisoner"]=="maria.sokolova"))')
is "$n" 1 "the prisoner's letter of the mixed message is stored"
if pf_wait_captured "$PF" 1 20; then
	cap=$(cat $(pf_captured "$PF"))
	like "$cap" 'X-Rcpt-Args: <friend@outside\.test>' "outside recipient kept"
	if grep -q 'maria.sokolova' <<<"$(grep '^X-Rcpt-Args' <<<"$cap")"; then
		fail "prisoner recipient removed from the envelope"
	else
		ok "prisoner recipient removed from the envelope"
	fi
else
	fail "outside recipient delivered" "$(pf_log "$PF" | tail -n 20)"
fi

out=$(send ivan.petrov@letters.example.org -- --header 'Message-Id: <e2e-3@example.net>' --body '> On Mon, Anna wrote:
> old text only')
like "$out" '550 5\.7\.1' "a letter with nothing of the writer's is refused with 550 5.7.1"

check "postfix queue drains" pf_wait_queue_empty "$PF" 30
pf_log "$PF" | grep -q 'discard' && ok "discarded message logged by postfix" || note "no discard line"

if grep -q -e 'сирень' -e 'Казани' "$GW/daemon.log"; then
	fail "no letter text in the daemon's log"
else
	ok "no letter text in the daemon's log"
fi
user=$(ps -o user= -p "$(pgrep -P "$(cat "$GW/pid")" | head -n1)" 2>/dev/null | tr -d ' ')
if [ "$(id -u)" = 0 ]; then
	is "$user" "$GW_USER" "daemon runs as the configured user, not root"
fi

syslog_check_milter

gw_stop "$GW"
out=$(send ivan.petrov@letters.example.org -- --body "$BODY")
like "$out" '451 4\.7\.1' "with the daemon down Postfix answers 451"
done_testing
