#!/bin/bash
# t-anyone.sh - letters to anyone@ through a real Postfix go to the active
# prisoner with the fewest letters in the last 30 days: they spread evenly,
# skip a prisoner who already has many, and never reach a released one.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd swaks /usr/sbin/postfix
need_bin lettergated lettergatectl

GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
gw_setup "$GW"
gw_pf_start "$GW" "$PF" letters.example.org

send() { # TO N
	pf_send "$port" "writer$2@example.net" "$1" "anyone-$2" \
		"Здравствуйте! Это письмо номер $2 из Казани. Мы помним о вас и ждём дома."
}
per_prisoner() {
	gw_ctl "$GW" letters list --json | python3 -c '
import json, sys, collections
c = collections.Counter(l["prisoner"] for l in json.load(sys.stdin))
print(" ".join("%s=%d" % (p, c.get(p, 0)) for p in ("ivan.petrov", "maria.sokolova", "oleg.vasin", "pavel.gromov")))'
}

for i in 1 2 3; do
	out=$(send ivan.petrov@letters.example.org "$i")
	like "$out" '250 2\.0\.0' "letter $i to ivan.petrov accepted"
done
for i in $(seq 11 16); do
	out=$(send anyone@letters.example.org "$i")
	like "$out" '250 2\.0\.0' "letter $i to anyone@ accepted"
done
is "$(per_prisoner)" "ivan.petrov=3 maria.sokolova=3 oleg.vasin=3 pavel.gromov=0" \
	"anyone@ letters went to the least written prisoners, evenly"
for i in $(seq 21 26); do
	send anyone@letters.example.org "$i" >/dev/null
done
is "$(per_prisoner)" "ivan.petrov=5 maria.sokolova=5 oleg.vasin=5 pavel.gromov=0" \
	"once even, anyone@ letters spread across all active prisoners"
st=$(gw_ctl "$GW" stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["per_prisoner"][0]["id"])')
is "$st" pavel.gromov "stats: the least remembered prisoner comes first"
done_testing
