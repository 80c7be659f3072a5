#!/bin/bash
# t-fault-disk.sh - a full disk: the database, the spool and the temporary
# folder on an 8 MB tmpfs, filled up while letters arrive through Postfix.
# Every refusal is 451 4.3.0 (never a 5xx, never a lost letter): each
# message that got 250 is a stored letter, and the database stays sound.
# Space freed (and the partner taking its spooled letters away), the
# refused messages are retried until all are stored, once each.
# Needs root and permission to mount tmpfs (else skipped).
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"
. "$LG_ROOT/tests/lib/loadgen.sh"

need_cmd /usr/sbin/postfix sqlite3 mount umount
need_bin lettergated lettergatectl
[[ $(id -u) == 0 ]] || skip_all "needs root to mount a tmpfs"

D=$(lg_tmpdir small)
mount -t tmpfs -o size=8m,mode=0755 lg-test-full "$D" 2>/dev/null || skip_all "mount -t tmpfs not permitted"
on_exit "umount -l '$D' 2>/dev/null"
mkdir -p "$D/db" "$D/out" "$D/tmp"
chmod 1777 "$D/tmp"
GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
gw_setup "$GW" "[gateway]
database = $D/db/lettergate.db
tmp_dir = $D/tmp
[delivery]
spool_dir = $D/out
retry_base_seconds = 1
retry_max_seconds = 2"
chown -R "$GW_USER" "$D/db" "$D/out"
on_exit gw_stop "$GW"
on_exit pf_stop "$PF"
gw_import_prisoners "$GW" 50
chown -R "$GW_USER" "$D/db"
gw_start "$GW" || { fail "lettergated starts"; done_testing; }
port=$(free_port)
pf_start "$PF" "$port" "unix:$(gw_socket "$GW")" || { fail "postfix starts"; done_testing; }
DB=$D/db/lettergate.db

# leave about 300 KB free
free_kb=$(df -k --output=avail "$D" | tail -n1)
dd if=/dev/zero of="$D/filler" bs=1k count=$((free_kb > 300 ? free_kb - 300 : 0)) status=none 2>/dev/null
note "free on the tmpfs: $(df -k --output=avail "$D" | tail -n1) kB"
N=300
lg_loadgen -s "127.0.0.1:$port" -m $N -c 4 -p 50 -r df$$ -o "$LG_TMP/res1" >"$LG_TMP/lg1" 2>&1
note "$(tr '\n' ' ' <"$LG_TMP/lg1")"
note "free on the tmpfs: $(df -k --output=avail "$D" | tail -n1) kB"
accepted=$(kv "$LG_TMP/lg1" ok)
temp=$(kv "$LG_TMP/lg1" tempfail)
((temp > 0)) && ok "the disk filled up: $temp messages tempfailed, $accepted accepted" ||
	fail "the disk filled up" "$(df -k "$D")"
is "$(grep '^reply' "$LG_TMP/lg1" | grep -v ' 451 4\.3\.0$' | wc -l)" 0 "every refusal is 451 4.3.0"
is "$(kv "$LG_TMP/lg1" reject)" 0 "no 5xx"
stored=$(gw_letters "$GW")
if ((stored >= accepted && stored - accepted <= temp)); then
	ok "every message that got 250 is stored ($accepted accepted, $stored stored)"
else
	fail "every message that got 250 is stored" "accepted $accepted stored $stored"
fi
awk '$2 == 250 { print $1 }' "$LG_TMP/res1" | sort >"$LG_TMP/acc"
sqlite3 "$DB" "SELECT message_id FROM letters" | sed -n 's/^<\{0,1\}lg\.df[0-9]*\.\([0-9]*\)@.*/\1/p' | sort >"$LG_TMP/stored"
is "$(comm -23 "$LG_TMP/acc" "$LG_TMP/stored" | wc -l)" 0 "no accepted message is missing"
kill -0 "$(gw_child_pid "$GW")" 2>/dev/null && ok "the daemon survives the full disk" || fail "the daemon survives the full disk"

rm -f "$D/filler"
is "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok "database integrity_check ok after the full disk"
# The sender retries; the partner takes the spooled letters away (their
# PDFs fill a disk this small again), until every message is in.
awk '$2 != 250 { print $1 }' "$LG_TMP/res1" >"$LG_TMP/retry"
bad=0
for pass in 1 2 3 4 5 6 7 8 9 10; do
	[[ -s $LG_TMP/retry ]] || break
	find "$D/out" -maxdepth 1 -type f -delete
	lg_loadgen -s "127.0.0.1:$port" -I "$LG_TMP/retry" -c 4 -p 50 -r df$$ -o "$LG_TMP/res2" >"$LG_TMP/lg2" 2>&1
	note "retry pass $pass: $(tr '\n' ' ' <"$LG_TMP/lg2")"
	bad=$((bad + $(grep '^reply' "$LG_TMP/lg2" | grep -vc ' 451 4\.3\.0$')))
	awk '$2 != 250 { print $1 }' "$LG_TMP/res2" >"$LG_TMP/retry"
	sleep 1
done
is "$bad" 0 "retries: every refusal is 451 4.3.0"
note "on the tmpfs: $(cd "$D" && du -ak . | sort -rn | head -n 6 | tr "\n" " ")"
is "$(wc -l <"$LG_TMP/retry")" 0 "space freed: every message accepted in the end"
is "$(gw_letters "$GW")" $N "exactly one letter per message"
is "$(sqlite3 "$DB" 'SELECT count(DISTINCT message_id) FROM letters')" $N "no message stored twice"
done_testing
