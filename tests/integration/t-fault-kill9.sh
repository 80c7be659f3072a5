#!/bin/bash
# t-fault-kill9.sh - the daemon killed with -9 in mid-transaction: every
# message is tempfailed or fully stored, never half. 400 unique letters go
# through Postfix at a concurrency of 10 (60/s); the daemon (parent and child) is
# killed with SIGKILL three times while they flow and restarted at once.
# Then: every message Postfix accepted (250) is a stored letter; the
# database passes PRAGMA integrity_check; every stored letter is whole
# (text, outbox or sent). The sender then retries each tempfailed message
# (same Message-Id and text): afterwards there is exactly one letter per
# message - none lost, none doubled (a letter committed just before the
# kill, whose 250 never left, is recognised on the retry).
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"
. "$LG_ROOT/tests/lib/loadgen.sh"

need_cmd /usr/sbin/postfix sqlite3
need_bin lettergated lettergatectl

N=400
GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
gw_setup "$GW"
gw_import_prisoners "$GW" 100
gw_pf_start "$GW" "$PF"
DB=$GW/db/lettergate.db

lg_loadgen -s "127.0.0.1:$port" -m $N -c 10 -R 60 -p 100 -r k9$$ -o "$LG_TMP/res1" >"$LG_TMP/lg1" 2>&1 &
lgpid=$!
kills=0
for k in 1 2 3; do
	# wait until letters are flowing, then kill in the middle of them
	base=$(gw_letters "$GW")
	wait_until 20 eval '(( $(gw_letters "$GW") > base + 40 ))' || break
	gw_kill9 "$GW" 2>/dev/null
	kills=$((kills + 1))
	gw_start "$GW" || { fail "lettergated restarts after kill -9"; done_testing; }
done
wait "$lgpid"
is "$kills" 3 "the daemon was killed with -9 three times while letters flowed"
accepted=$(kv "$LG_TMP/lg1" ok)
temp=$(kv "$LG_TMP/lg1" tempfail)
note "first pass: $(tr '\n' ' ' <"$LG_TMP/lg1")"
is "$((accepted + temp))" $N "every message got 250 or 4xx (nothing else)"
((temp > 0)) && ok "some messages were tempfailed ($temp)" || note "no message was tempfailed"
stored=$(gw_letters "$GW")
# letters whose 250 never left: committed in the instant before a kill
extra=$((stored - accepted))
if ((extra >= 0 && extra <= temp)); then
	ok "every accepted message is stored ($accepted accepted, $stored stored, $extra committed but tempfailed)"
else
	fail "every accepted message is stored" "accepted $accepted, stored $stored, tempfail $temp"
fi
# message numbers accepted in the first pass, each must be a letter
# (comm needs the order of sort, not of sort -n)
awk '$2 == 250 { print $1 }' "$LG_TMP/res1" | sort >"$LG_TMP/acc"
sqlite3 "$DB" "SELECT message_id FROM letters" | sed -n 's/^<\{0,1\}lg\.k9[0-9]*\.\([0-9]*\)@.*/\1/p' | sort >"$LG_TMP/stored"
missing=$(comm -23 "$LG_TMP/acc" "$LG_TMP/stored" | wc -l)
is "$missing" 0 "no message that got 250 is missing from the database"
is "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok "database integrity_check ok after three kill -9"
# (text_ru NULL: the Russian text is text_original, stored once)
half=$(sqlite3 "$DB" "SELECT count(*) FROM letters l WHERE coalesce(l.text_ru, l.text_original, '') = ''
	OR (l.state = 'queued' AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.letter_id = l.id))")
is "$half" 0 "no half-stored letter (each has its text, and an outbox entry while queued)"

# the sender's MTA retries what was tempfailed
awk '$2 != 250 { print $1 }' "$LG_TMP/res1" >"$LG_TMP/retry"
if [[ -s $LG_TMP/retry ]]; then
	lg_loadgen -s "127.0.0.1:$port" -I "$LG_TMP/retry" -c 5 -p 100 -r k9$$ >"$LG_TMP/lg2" 2>&1
	is "$(kv "$LG_TMP/lg2" ok)" "$(wc -l <"$LG_TMP/retry")" "every retried message is accepted"
fi
is "$(gw_letters "$GW")" $N "after the retries: exactly one letter per message ($N)"
is "$(sqlite3 "$DB" 'SELECT count(DISTINCT message_id) FROM letters')" $N "no message stored twice"
check "postfix queue drains" pf_wait_queue_empty "$PF" 30
done_testing
