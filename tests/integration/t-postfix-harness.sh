#!/bin/bash
# t-postfix-harness.sh - proves tests/lib/postfix.sh: a private Postfix
# without a milter takes mail on its port; two instances run side by side;
# with a milter socket nobody listens on, clients get 451 4.7.1; the capture
# sink receives mail for outside domains; pf_stop leaves nothing running.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"

need_cmd swaks /usr/sbin/postfix /usr/sbin/smtp-sink

A=$(lg_tmpdir pf-a)
B=$(lg_tmpdir pf-b)
CAP=$(lg_tmpdir capture)
on_exit pf_stop "$A"
on_exit pf_stop "$B"

send() { # PORT TO [swaks args...]
	local port=$1 to=$2
	shift 2
	swaks --server "127.0.0.1:$port" --from writer@example.net --to "$to" \
		--header 'Subject: test' --body 'Привет, Иван!' --timeout 20 "$@" 2>&1
}

captured_text() { # DIR: every captured message, concatenated
	local f
	while read -r f; do cat "$f"; done < <(pf_captured "$1")
}

# A: no milter, outside mail captured.
pa=$(free_port)
t0=$(date +%s%N)
if PF_CAPTURE=$CAP pf_start "$A" "$pa" "" letters.example.org; then
	ok "pf_start without milter on 127.0.0.1:$pa ($((($(date +%s%N) - t0) / 1000000)) ms)"
else
	fail "pf_start without milter"
	done_testing
fi

out=$(send "$pa" ivan.petrov@letters.example.org)
rc=$?
if ((rc == 0)) && [[ $out == *"250 2.0.0 Ok: queued"* ]]; then
	ok "no milter: relay-domain message accepted"
else
	fail "no milter: relay-domain message accepted" "swaks rc=$rc" "$(tail -n 15 <<<"$out")"
fi

out=$(send "$pa" someone@outside.test)
rc=$?
is "$rc" 0 "no milter: outside message accepted"

check "queue drains" pf_wait_queue_empty "$A" 30
if pf_wait_captured "$A" 1 10; then
	ok "outside message captured by the sink"
	like "$(captured_text "$A")" 'X-Rcpt-Args: <someone@outside\.test>' "capture file names the recipient"
	like "$(captured_text "$A")" 'Привет' "capture file holds the body"
else
	fail "outside message captured by the sink" "$(pf_log "$A" | tail -n 20)"
fi
if pf_wait_captured "$A" 2 10; then
	ok "relay-domain message captured too"
else
	fail "relay-domain message captured too" "$(pf_log "$A" | tail -n 20)"
fi

# B: a milter socket nobody listens on, while A still runs.
pb=$(free_port)
if pf_start "$B" "$pb" "$B/milter/milter.sock" letters.example.org; then
	ok "second instance with a dead milter on 127.0.0.1:$pb"
else
	fail "second instance with a dead milter"
	done_testing
fi
out=$(send "$pb" ivan.petrov@letters.example.org)
rc=$?
if ((rc != 0)) && [[ $out =~ \<\*+\ +451\ 4\.7\.1 ]]; then
	ok "dead milter: 451 4.7.1"
else
	fail "dead milter: 451 4.7.1" "swaks rc=$rc" "$(tail -n 15 <<<"$out")"
fi
is "$(pf_queue_count "$B")" 0 "dead milter: nothing queued"

out=$(send "$pa" ivan.petrov@letters.example.org)
is "$?" 0 "first instance unaffected by the second"

C=$(lg_tmpdir pf-c)
on_exit pf_stop "$C"
if pf_start "$C" "$pa" 2>/dev/null; then
	fail "pf_start refuses a port already in use"
else
	ok "pf_start refuses a port already in use"
fi

# Local submission (sendmail -C) goes through pickup to the sink.
printf 'Subject: via sendmail\n\nbody\n' |
	pf_sendmail "$A" -f writer@example.net other@outside.test
if pf_wait_captured "$A" 4 20; then
	ok "pf_sendmail submission captured"
else
	fail "pf_sendmail submission captured" "$(pf_log "$A" | tail -n 20)"
fi

# Restart A in place without capture: every transport discards.
pf_stop "$A"
if pf_start "$A" "$pa"; then
	ok "pf_start again in the same folder"
else
	fail "pf_start again in the same folder"
fi
out=$(send "$pa" ivan.petrov@letters.example.org)
is "$?" 0 "restarted instance accepts"
check "queue drains after restart" pf_wait_queue_empty "$A" 30
like "$(pf_log "$A")" 'postfix/discard\[[0-9]+\]: [0-9A-F]+: to=<ivan\.petrov@letters\.example\.org>, .*status=sent' \
	"maillog shows the discard delivery"
like "$(cat "$A/pf.capture" 2>/dev/null)" '^$' "no capture after restart without PF_CAPTURE"

# pf_stop really stops.
t0=$(date +%s%N)
pf_stop "$A"
pf_stop "$B"
note "pf_stop x2: $((($(date +%s%N) - t0) / 1000000)) ms"
if lg__port_open "$pa" 127.0.0.1 || lg__port_open "$pb" 127.0.0.1; then
	fail "ports closed after pf_stop"
else
	ok "ports closed after pf_stop"
fi
left=$(pf__spool_pids "$A"; pf__spool_pids "$B")
is "$left" "" "no Postfix process left in either spool"
if [[ -f $A/sink.pid ]]; then
	fail "sink stopped"
else
	ok "sink stopped"
fi

done_testing
