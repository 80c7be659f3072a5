#!/bin/bash
# t-fault-busy.sh - SQLite busy: another process holds the database's write
# lock (sqlite3 'BEGIN EXCLUSIVE') for longer than the daemon's busy
# timeout (5 s): a letter arriving then gets 451 4.3.0 and is not stored;
# the lock released, the same message is accepted and stored once.
# lg-test: exclusive (timing of a held write lock)
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"
. "$LG_ROOT/tests/lib/loadgen.sh"

need_cmd swaks /usr/sbin/postfix sqlite3
need_bin lettergated lettergatectl

GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
# The delivery worker shares the daemon's one connection (behind a mutex):
# kept idle here so that the letter's own wait is the busy timeout alone.
gw_setup "$GW" "[delivery]
interval_ms = 600000"
gw_pf_start "$GW" "$PF"
DB=$GW/db/lettergate.db

send() {
	PF_TIMEOUT=60 pf_send "$port" anna.belova@example.net ivan.petrov@letters.example.org busy-1 \
		'Здравствуйте, Иван! У нас всё хорошо, дети растут, весна пришла рано.'
}

# The holder: takes the write lock, says so, keeps it HOLD seconds.
HOLD=9
(
	printf 'BEGIN EXCLUSIVE;\nSELECT '"'"'locked'"'"';\n'
	sleep "$HOLD"
	printf 'COMMIT;\n'
) | sqlite3 "$DB" >"$LG_TMP/holder.out" 2>&1 &
holder=$!
on_exit "kill $holder 2>/dev/null"
wait_until 5 grep -q locked "$LG_TMP/holder.out" || fail "the holder takes the lock" "$(cat "$LG_TMP/holder.out")"
t0=$(date +%s%3N)
out=$(send)
ms=$(($(date +%s%3N) - t0))
like "$out" '451 4\.3\.0' "database locked by another process: 451 4.3.0"
((ms >= 4500)) && ok "the daemon waited for the lock (${ms} ms, busy timeout 5 s)" ||
	fail "the daemon waited for the lock" "answered after $ms ms"
is "$(gw_letters "$GW")" 0 "nothing stored while the database is locked"
grep -q 'not stored\|locked\|busy' "$GW/daemon.log" && ok "the daemon logs why" ||
	fail "the daemon logs why" "$(tail -n 5 "$GW/daemon.log")"
wait "$holder"
out=$(send)
like "$out" '250 2\.0\.0' "the lock released: the same message is accepted"
is "$(gw_letters "$GW")" 1 "and stored once"
out=$(send)
is "$(gw_letters "$GW")" 1 "a further retry makes no second letter"
done_testing
