#!/bin/bash
# t-quota.sh - quotas counted in SQLite through a real Postfix: a writer's
# third letter of the day gets 451 4.7.1 saying when the quota resets (UTC,
# the first letter's time + 24 h); the same text to the same prisoner again
# gets 550 5.7.1 "already sent"; the per-prisoner quota holds back letters
# from anyone.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd swaks /usr/sbin/postfix
need_bin lettergated lettergatectl

GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
gw_setup "$GW" "[quota]
writer_day = 2
writer_prisoner_day = 0
prisoner_day = 3
duplicate_days = 7
"
gw_pf_start "$GW" "$PF" letters.example.org

send() { pf_send "$port" "$@"; } # FROM TO ID TEXT
T1='Здравствуйте, Иван! Пишу вам из Казани. Весна пришла рано.'
T2='Дорогая Мария, у нас всё хорошо, дети пошли в школу.'
T3='Олег, здравствуйте! Посылаем вам тёплый привет из Твери.'

t0=$(date -u +%s)
out=$(send anna@example.net ivan.petrov@letters.example.org q1 "$T1")
like "$out" '250 2\.0\.0' "first letter accepted"
out=$(send anna@example.net maria.sokolova@letters.example.org q2 "$T2")
like "$out" '250 2\.0\.0' "second letter accepted"
out=$(send anna@example.net oleg.vasin@letters.example.org q3 "$T3")
like "$out" '451 4\.7\.1' "third letter of the day: 451 4.7.1"
like "$out" 'letters from you \(2 a day\)' "the reply names the quota"
reset=$(grep -oE 'resets at [0-9-]+ [0-9:]+ UTC' <<<"$out" | head -n1 | sed 's/resets at //; s/ UTC//')
want1=$(date -u -d "@$((t0 + 86400))" '+%Y-%m-%d %H:%M')
want2=$(date -u -d "@$((t0 + 86400 + 60))" '+%Y-%m-%d %H:%M')
if [ "$reset" = "$want1" ] || [ "$reset" = "$want2" ]; then
	ok "reset time is the first letter's time + 24 h ($reset UTC)"
else
	fail "reset time is the first letter's time + 24 h" "got '$reset', want '$want1'"
fi

out=$(send boris@example.net ivan.petrov@letters.example.org q4 "$T1")
like "$out" '250 2\.0\.0' "another writer is not held back"
out=$(send boris@example.net ivan.petrov@letters.example.org q5 "  $T1  ")
like "$out" '550 5\.7\.1' "the same text to the same prisoner again: 550 5.7.1"
like "$out" 'Already sent' "the reply says already sent"

out=$(send carl@example.net ivan.petrov@letters.example.org q6 'Иван, держитесь! Мы с вами.')
like "$out" '250 2\.0\.0' "third letter to ivan.petrov today accepted"
out=$(send dora@example.net ivan.petrov@letters.example.org q7 'Иван, привет от Доры из Омска.')
like "$out" '451 4\.7\.1' "fourth letter to the prisoner today: 451 4.7.1"
like "$out" 'letters to this prisoner \(3 a day\)' "the reply names the prisoner quota"
n=$(gw_letter_count "$GW")
is "$n" 4 "only the accepted letters are stored"
done_testing
