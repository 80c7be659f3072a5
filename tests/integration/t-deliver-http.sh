#!/bin/bash
# t-deliver-http.sh - letters through a real Postfix to the http partner
# (tests/lib/fake_partner.py): signed, one POST per letter with its id as
# Idempotency-Key; the partner down (500) then back: nothing lost, nothing
# doubled; the daemon killed with -9 during a delivery run, restarted:
# every letter at the partner exactly once by key; the writer's address
# never reaches the partner.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd swaks python3 /usr/sbin/postfix
need_bin lettergated lettergatectl

GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
FP=$(lg_tmpdir partner)
pport=$(free_port)
printf 'partner-secret-%s\n' "$RANDOM$RANDOM" >"$GW/http.secret"
chmod 600 "$GW/http.secret"
[ "$(id -u)" = 0 ] && chown "$GW_USER" "$GW/http.secret"

fp_start() { # extra args
	python3 "$LG_ROOT/tests/lib/fake_partner.py" --port "$pport" --secret-file "$GW/http.secret" \
		--log "$FP/requests.jsonl" --pid-file "$FP/pid" "$@" 2>>"$FP/err.log" &
	wait_for_port "$pport" 10
}
fp_stop() { [ -f "$FP/pid" ] && stop_pid "$(cat "$FP/pid")" 5; rm -f "$FP/pid"; }
fp_ctl() { curl -s -X POST --data "$1" "http://127.0.0.1:$pport/_control" >/dev/null; }
fp_stats() { curl -s "http://127.0.0.1:$pport/_stats"; }
# unique keys accepted (200) at the partner
fp_unique() { fp_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["unique"])'; }
unique_is() { [ "$(fp_unique)" = "$1" ]; }
unique_ge() { [ "$(fp_unique)" -ge "$1" ]; }
state_count_is() { [ "$(count_state "$1")" = "$2" ]; }

printf 'reply-secret-%s\n' "$RANDOM$RANDOM" >"$GW/reply.secret"
chmod 600 "$GW/reply.secret"
[ "$(id -u)" = 0 ] && chown "$GW_USER" "$GW/reply.secret"
gw_setup "$GW" "[gateway]
reply_secret_file = $GW/reply.secret
[delivery]
partner = http
http_url = http://127.0.0.1:$pport/letters
http_secret_file = $GW/http.secret
retry_base_seconds = 1
retry_max_seconds = 2
timeout_ms = 3000
workers = 2
interval_ms = 100"
on_exit fp_stop
on_exit gw_stop "$GW"
on_exit pf_stop "$PF"

fp_start || { fail "fake partner starts"; done_testing; }
gw_start "$GW" || { fail "lettergated starts with partner = http"; done_testing; }
ok "lettergated starts with partner = http"
port=$(free_port)
pf_start "$PF" "$port" "unix:$(gw_socket "$GW")" letters.example.org || { fail "postfix starts"; done_testing; }

WORDS=(сирень берёза река поле лес утро вечер солнце дождь снег ветер облако звезда луна море)
send_letter() { # N
	local n=$1 w=${WORDS[$(($1 % ${#WORDS[@]}))]}
	swaks --server "127.0.0.1:$port" --from "writer$n@example.net" --to ivan.petrov@letters.example.org \
		--header "Subject: Письмо $n" --header 'Content-Type: text/plain; charset=utf-8' \
		--header "Message-Id: <deliver-$n-$$@example.net>" --timeout 30 \
		--body "Здравствуйте, Иван! Это письмо номер $n. Сегодня у нас $w, и мы думаем о вас. Держитесь, пожалуйста." 2>&1
}
letters_json() { gw_ctl "$GW" letters list --json; }
count_state() { letters_json | python3 -c "import json,sys; print(sum(1 for l in json.load(sys.stdin) if l['state']=='$1'))"; }

# 1. one letter, end to end
out=$(send_letter 1)
like "$out" '250 2\.0\.0' "letter accepted by Postfix"
if wait_until 20 unique_is 1; then
	ok "letter posted to the partner"
else
	fail "letter posted to the partner" "$(tail -n 20 "$GW/daemon.log")"
fi
rec=$(head -n1 "$FP/requests.jsonl")
like "$rec" '"sig_ok": true' "signature verifies at the partner"
like "$rec" '"key": "[0-9a-f]{16}"' "Idempotency-Key is the letter id"
like "$rec" '"reply_to": "reply\+[0-9a-f]{16}\.[0-9a-f]{16}@letters\.example\.org"' "reply_to is a signed reply address"
if grep -q 'writer1@example.net' "$FP/requests.jsonl"; then
	fail "writer's address never reaches the partner"
else
	ok "writer's address never reaches the partner"
fi
wait_until 10 state_count_is sent 1 && ok "letter state is sent" || fail "letter state is sent" "$(letters_json)"

# 2. partner down (500) while 5 letters arrive, then back
fp_ctl '{"mode":"500"}'
for n in 2 3 4 5 6; do send_letter $n >/dev/null; done
wait_until 15 bash -c "grep -c '\"status\": 500' '$FP/requests.jsonl' | grep -qv '^0$'" &&
	ok "partner answering 500 is retried" || fail "partner answering 500 is retried"
is "$(fp_unique)" 1 "nothing accepted while the partner is down"
fp_ctl '{"mode":"ok"}'
if wait_until 30 unique_is 6; then ok "partner back: all 6 letters delivered"; else fail "partner back: all 6 letters delivered" "$(fp_stats)"; fi
wait_until 10 state_count_is sent 6 && ok "6 letters in state sent" || fail "6 letters in state sent" "$(letters_json)"

# 3. 429 with Retry-After, then accepted
fp_ctl '{"mode":"429","retry_after":2,"fail_next":1}'
send_letter 7 >/dev/null
if wait_until 30 unique_is 7; then ok "429 with Retry-After retried and delivered"; else fail "429 with Retry-After retried and delivered"; fi
grep -q '"status": 429' "$FP/requests.jsonl" && ok "partner answered 429 once" || fail "partner answered 429 once"

# 4. kill -9 during a delivery run: the partner answers slowly
fp_ctl '{"delay":1.0}'
N=30
for n in $(seq 8 $((7 + N))); do send_letter "$n" >/dev/null; done
wait_until 60 unique_ge 14
gw_kill9 "$GW"
mid=$(fp_unique)
note "partner had $mid of $((7 + N)) letters when the daemon was killed"
[ "$mid" -lt $((7 + N)) ] && ok "killed during the delivery run" || note "delivery finished before the kill"
# leases taken before the kill expire: restart with the clock moved on
LG_FAKE_NOW=$(($(date +%s) + 3600)) gw_start "$GW" || fail "lettergated restarts after kill -9"
fp_ctl '{"delay":0}'
if wait_until 60 unique_is $((7 + N)); then
	ok "after kill -9 and restart: none lost ($((7 + N)) letters at the partner)"
else
	fail "after kill -9 and restart: none lost" "$(fp_stats) $(tail -n 20 "$GW/daemon.log")"
fi
stats=$(fp_stats)
# a letter may be posted again after a kill (its answer never recorded); the
# key makes that the same letter: never two letters for one message
python3 - "$FP/requests.jsonl" <<'PY' && ok "none doubled: one letter id per key, one key per message" || fail "none doubled" "$stats"
import json, sys
by_key, by_subject = {}, {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("status") != 200:
        continue
    if r["key"] != r["id"]:
        sys.exit(1)
    by_key.setdefault(r["key"], set()).add(r["text"])
    by_subject.setdefault(r["text"], set()).add(r["key"])
if any(len(v) != 1 for v in by_key.values()) or any(len(v) != 1 for v in by_subject.values()):
    sys.exit(1)
PY
n_sent=$(count_state sent)
is "$n_sent" $((7 + N)) "every letter is in state sent"
note "partner stats: $stats"

if grep -q -e 'Держитесь' -e 'writer[0-9]*@example.net' "$GW/daemon.log"; then
	fail "no letter text or writer address in the daemon's log"
else
	ok "no letter text or writer address in the daemon's log"
fi
done_testing
