#!/bin/bash
# t-fault-reload.sh - configuration reload under load: SIGHUP to the
# daemon's parent (which forwards it to the child as SIGUSR1) five times
# while 600 unique letters flow through Postfix at a concurrency of 10.
# Between the reloads a rule file is added that holds every letter
# mentioning "Жанна" (one writer name in 24 of loadgen's texts; action
# hold = still 250), and [screen] hold_score is changed. No 4xx/5xx at all;
# every message stored; the daemon is the same process at the end; letters
# after the rule arrived are held, letters before it were not.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"
. "$LG_ROOT/tests/lib/loadgen.sh"

need_cmd /usr/sbin/postfix sqlite3
need_bin lettergated lettergatectl

GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
RULES=$(lg_tmpdir rules)
cp "$LG_ROOT"/conf/rules/*.rules "$RULES/"
gw_setup "$GW" "[screen]
rules_dir = $RULES
hold_score = 5"
gw_import_prisoners "$GW" 100
gw_pf_start "$GW" "$PF"
parent=$(cat "$GW/pid")
child=$(gw_child_pid "$GW")

N=600
lg_loadgen -s "127.0.0.1:$port" -m $N -c 10 -R 100 -p 100 -r rl$$ -o "$LG_TMP/res" >"$LG_TMP/lg" 2>&1 &
lgpid=$!
reloads() { grep -c 'reloaded configuration' "$GW/daemon.log"; }
hup() {
	want=$1
	kill -HUP "$parent"
	wait_until 10 eval '(( $(reloads) >= want ))'
}
sleep 1
hup 1 || fail "reload 1 logged"
sleep 0.5
hup 2 || fail "reload 2 logged"
cat >"$RULES/99-test-reload.rules" <<'RULES'
[rule test_reload_name]
category = case
action = hold
score = 0
lang = any
reason_en = Test rule added by a reload.
reason_ru = Тестовое правило, добавленное перезагрузкой.
word = жанна
RULES
sed -i 's/^hold_score = 5$/hold_score = 6/' "$GW/lettergate.conf"
sleep 0.3
hup 3 || fail "reload 3 logged"
t_rule=$(date +%s)
sleep 0.5
hup 4 || fail "reload 4 logged"
sleep 0.5
hup 5 || fail "reload 5 logged"
wait "$lgpid"
note "$(tr '\n' ' ' <"$LG_TMP/lg")"
is "$(grep -c 'reloaded configuration' "$GW/daemon.log")" 5 "five reloads under load"
is "$(kv "$LG_TMP/lg" ok)" $N "every message accepted: no 4xx or 5xx during the reloads"
is "$(kv "$LG_TMP/lg" error)" 0 "no broken session"
check "postfix queue drains" pf_wait_queue_empty "$PF" 30
is "$(gw_letters "$GW")" $N "every message is a stored letter"
is "$(cat "$GW/pid" 2>/dev/null)/$(gw_child_pid "$GW")" "$parent/$child" "the same daemon processes at the end"
grep -q 'reload:.*stay' "$GW/daemon.log" && fail "no reload refused" "$(grep 'reload:' "$GW/daemon.log")" || ok "no reload refused"
# Writer names: loadgen message i names names[i % 24]; Жанна is index 6.
held=$(gw_letters "$GW" "state = 'held' AND findings LIKE '%test_reload_name%'")
((held > 0)) && ok "the rule added by a reload takes effect ($held letters held)" ||
	fail "the rule added by a reload takes effect" "$(grep -c 'test_reload' "$GW/daemon.log")"
early=$(gw_letters "$GW" "state = 'held' AND created < $((t_rule - 1))")
is "$early" 0 "letters before the rule was loaded were not held"
other=$(gw_letters "$GW" "state = 'held' AND findings NOT LIKE '%test_reload_name%'")
is "$other" 0 "no other letter held"
done_testing
