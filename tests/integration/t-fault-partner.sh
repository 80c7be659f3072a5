#!/bin/bash
# t-fault-partner.sh - the partner down for a while, then back: everything
# delivered, nothing twice; writers never notice.
#  1. spool partner: the spool folder unwritable while 30 letters arrive
#     through Postfix (all 250), then writable: 30 letters in the spool,
#     one 'sent' per letter in the history.
#  2. http partner (tests/lib/fake_partner.py): the partner's process is
#     stopped (connection refused) while 20 letters arrive, then started
#     again on the same port: 20 unique keys, no key accepted twice.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"
. "$LG_ROOT/tests/lib/loadgen.sh"

need_cmd /usr/sbin/postfix sqlite3 curl
need_bin lettergated lettergatectl

# --- 1. spool partner ---------------------------------------------------
GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
gw_setup "$GW" "[delivery]
retry_base_seconds = 1
retry_max_seconds = 2
interval_ms = 200"
gw_import_prisoners "$GW" 50
gw_pf_start "$GW" "$PF"

chmod 0500 "$GW/out" # owned by the daemon's user; now not writable by it
lg_loadgen -s "127.0.0.1:$port" -m 30 -c 5 -p 50 -r sp$$ >"$LG_TMP/lg1" 2>&1
is "$(kv "$LG_TMP/lg1" ok)" 30 "spool unwritable: all 30 messages accepted by SMTP"
sleep 3
is "$(find "$GW/out" -name '*.json' | wc -l)" 0 "nothing reaches the unwritable spool"
is "$(gw_letters "$GW" "state = 'queued'")" 30 "the 30 letters wait in the outbox"
att=$(sqlite3 "$GW/db/lettergate.db" 'SELECT min(attempts) FROM outbox')
like "$att" '^[1-9]' "every letter was tried and failed (attempts >= 1)"
grep -q 'spool\|Permission denied\|attempt' "$GW/daemon.log" && ok "the failures are logged" || fail "the failures are logged"
chmod 0750 "$GW/out"
if wait_until 30 eval '(( $(find "$GW/out" -name "*.json" | wc -l) == 30 ))'; then
	ok "spool writable again: all 30 letters delivered"
else
	fail "spool writable again: all 30 letters delivered" "$(find "$GW/out" -name '*.json' | wc -l) files"
fi
wait_until 10 eval '[[ $(gw_letters "$GW" "state = '"'sent'"'") == 30 ]]'
is "$(gw_letters "$GW" "state = 'sent'")" 30 "all 30 letters are 'sent'"
is "$(sqlite3 "$GW/db/lettergate.db" "SELECT count(*) FROM outbox")" 0 "the outbox is empty"
twice=$(sqlite3 "$GW/db/lettergate.db" "SELECT count(*) FROM (SELECT letter_id FROM history WHERE state = 'sent' GROUP BY letter_id HAVING count(*) > 1)")
is "$twice" 0 "no letter was sent twice"
gw_stop "$GW"
pf_stop "$PF"

# --- 2. http partner ----------------------------------------------------
GW2=$(lg_tmpdir gw2)
PF2=$(lg_tmpdir pf2)
pport=$(free_port)
printf 'partner-secret-%s\n' "$RANDOM$RANDOM" >"$LG_TMP/http.secret"
chmod 600 "$LG_TMP/http.secret"
fp_start() {
	python3 "$LG_ROOT/tests/lib/fake_partner.py" --port "$pport" --secret-file "$LG_TMP/http.secret" \
		--log "$LG_TMP/partner.jsonl" >>"$LG_TMP/partner.log" 2>&1 &
	echo $! >"$LG_TMP/partner.pid"
	wait_for_port "$pport" 10
}
fp_stop() { [[ -f $LG_TMP/partner.pid ]] && stop_pid "$(cat "$LG_TMP/partner.pid")" 5; rm -f "$LG_TMP/partner.pid"; }
fp_stats() { curl -s "http://127.0.0.1:$pport/_stats"; }
on_exit fp_stop
gw_setup "$GW2" "[delivery]
partner = http
http_url = http://127.0.0.1:$pport/letters
http_secret_file = $GW2/http.secret
retry_base_seconds = 1
retry_max_seconds = 2
timeout_ms = 2000
interval_ms = 200"
cp "$LG_TMP/http.secret" "$GW2/http.secret"
[[ $(id -u) == 0 ]] && chown "$GW_USER" "$GW2/http.secret"
on_exit gw_stop "$GW2"
on_exit pf_stop "$PF2"
gw_import_prisoners "$GW2" 50
gw_start "$GW2" || { fail "lettergated (http) starts"; done_testing; }
port2=$(free_port)
pf_start "$PF2" "$port2" "unix:$(gw_socket "$GW2")" || { fail "postfix starts"; done_testing; }
# the partner is not running yet: connection refused
lg_loadgen -s "127.0.0.1:$port2" -m 20 -c 5 -p 50 -r hp$$ >"$LG_TMP/lg2" 2>&1
is "$(kv "$LG_TMP/lg2" ok)" 20 "partner down: all 20 messages accepted by SMTP"
sleep 3
is "$(gw_letters "$GW2" "state = 'queued'")" 20 "the 20 letters wait in the outbox"
fp_start || fail "fake partner starts"
if wait_until 30 eval '[[ $(fp_stats | python3 -c "import json,sys; print(json.load(sys.stdin)[\"unique\"])") == 20 ]]'; then
	ok "partner back: all 20 letters delivered"
else
	fail "partner back: all 20 letters delivered" "$(fp_stats)"
fi
stats=$(fp_stats)
like "$stats" '"doubles": \[\]' "no letter accepted twice by the partner"
wait_until 10 eval '[[ $(gw_letters "$GW2" "state = '"'sent'"'") == 20 ]]'
is "$(gw_letters "$GW2" "state = 'sent'")" 20 "all 20 letters are 'sent'"
done_testing
