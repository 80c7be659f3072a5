#!/bin/bash
# t-retention.sh - lettergated enforces [retention] itself, without a cron
# job: two letters through the real Postfix reach the spool; one is made
# two days old in the database; on its next start the daemon deletes that
# letter's text (metadata kept, logged by count, never by content) and
# leaves the recent one alone. With purge_minutes = 0 it purges nothing and
# `lettergatectl purge` still does.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd swaks /usr/sbin/postfix sqlite3
need_bin lettergated lettergatectl

GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
gw_setup "$GW" "[retention]
days = 1
purge_minutes = 1
"
DB=$GW/db/lettergate.db
gw_pf_start "$GW" "$PF" letters.example.org

send() { pf_send "$port" "$@"; } # FROM TO ID TEXT
T1='Здравствуйте, Иван! Пишу вам из Казани, у нас тёплая осень и много яблок.'
T2='Дорогая Мария, у нас всё хорошо, дети пошли в школу, ждём от вас письма.'
like "$(send anna.lebedeva@example.net ivan.petrov@letters.example.org r1 "$T1")" '250 2\.0\.0' "first letter accepted"
like "$(send boris.orlov@example.net maria.sokolova@letters.example.org r2 "$T2")" '250 2\.0\.0' "second letter accepted"
sent() { [ "$(sqlite3 "$DB" "SELECT count(*) FROM letters WHERE state = 'sent'")" = 2 ]; }
check "both letters reach the spool" wait_until 30 sent
old=$(sqlite3 "$DB" "SELECT id FROM letters WHERE message_id LIKE '%r1@example.net%'")
new=$(sqlite3 "$DB" "SELECT id FROM letters WHERE message_id LIKE '%r2@example.net%'")

# The first letter reached its final state two days ago.
gw_stop "$GW"
sqlite3 "$DB" "UPDATE letters SET updated = updated - 2 * 86400 WHERE id = '$old'"
gw_start "$GW" || { fail "lettergated starts again"; done_testing; }
purged() { [ -n "$(sqlite3 "$DB" "SELECT purged FROM letters WHERE id = '$1' AND purged IS NOT NULL")" ]; }
check "the daemon purges the old letter on its own" wait_until 20 purged "$old"
is "$(sqlite3 "$DB" "SELECT quote(text_original) || quote(text_ru) || quote(subject) FROM letters WHERE id = '$old'")" \
	NULLNULLNULL "its texts and subject are gone"
is "$(sqlite3 "$DB" "SELECT state || ' ' || prisoner FROM letters WHERE id = '$old'")" \
	"sent ivan.petrov" "its metadata stays"
is "$(sqlite3 "$DB" "SELECT text_original IS NOT NULL AND purged IS NULL FROM letters WHERE id = '$new'")" 1 \
	"the recent letter keeps its text"
like "$(cat "$GW/daemon.log")" 'retention: texts of 1 letters and 0 photos older than 1 days deleted' \
	"the purge is logged by count"
if grep -qF -e 'Казани' -e 'yablok' -e 'anna.lebedeva' "$GW/daemon.log"; then
	fail "no letter text or writer in the daemon's log"
else
	ok "no letter text or writer in the daemon's log"
fi

# purge_minutes = 0: the daemon leaves it to lettergatectl purge.
gw_stop "$GW"
sed -i 's/^purge_minutes = 1$/purge_minutes = 0/' "$GW/lettergate.conf"
sqlite3 "$DB" "UPDATE letters SET updated = updated - 2 * 86400 WHERE id = '$new'"
gw_start "$GW" || { fail "lettergated starts a third time"; done_testing; }
sleep 2
purged "$new" && fail "purge_minutes = 0: the daemon purges nothing" ||
	ok "purge_minutes = 0: the daemon purges nothing"
like "$(gw_ctl "$GW" purge 2>&1)" '^purged 1 letters: texts deleted' "lettergatectl purge purges it"
check "the letter is purged now" purged "$new"
done_testing
