#!/bin/bash
# t-security.sh - the daemon's security properties at run time:
#   - started as root, every lettergated process ends up as the configured
#     user (real, effective, saved and file-system uid and gid; no
#     supplementary groups); user = root is refused;
#   - the milter socket has the configured mode and owner; the database
#     (and its -wal/-shm) is not readable by others;
#   - a configuration naming a secret file that group or others can read is
#     refused by `lettergated -n` and at start, accepted once it is 0600;
#   - no letter text in the logs: letters that are accepted, held and
#     refused go through Postfix with the daemon in debug mode, then the
#     daemon's log and Postfix's maillog are searched for their words.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_bin lettergated lettergatectl
[[ $(id -u) == 0 ]] || skip_all "needs root (privilege drop)"
getent passwd nobody >/dev/null || skip_all "no user nobody"

GW=$(lg_tmpdir gw)
gw_setup "$GW" $'[gateway]\nsocket_mode = 0660\n[quota]\nduplicate_days = 0'
NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)

# ---- secrets ----
SECRET=$GW/partner.key
echo 'partner-shared-secret' >"$SECRET"
chown nobody "$SECRET"
cp "$GW/lettergate.conf" "$GW/secret.conf"
python3 - "$GW/secret.conf" "$SECRET" <<'EOF'
import sys, configparser
cp = configparser.ConfigParser(interpolation=None, delimiters=("=",))
cp.optionxform = str
cp.read(sys.argv[1])
cp["gateway"]["reply_secret_file"] = sys.argv[2]
with open(sys.argv[1], "w") as f:
    cp.write(f)
EOF
for mode in 0644 0640 0604; do
	chmod "$mode" "$SECRET"
	out=$("$LG_BIN/lettergated" -n -c "$GW/secret.conf" 2>&1)
	rc=$?
	if ((rc != 0)) && [[ $out == *"readable by group or others"* ]]; then
		ok "secret file mode $mode refused by lettergated -n"
	else
		fail "secret file mode $mode refused by lettergated -n" "exit $rc: $out"
	fi
done
chmod 0644 "$SECRET"
timeout 20 "$LG_BIN/lettergated" -f -c "$GW/secret.conf" >"$GW/secret.log" 2>&1
rc=$?
if ((rc != 0)) && grep -q 'readable by group or others' "$GW/secret.log"; then
	ok "the daemon refuses to start with a world-readable secret"
else
	fail "the daemon refuses to start with a world-readable secret" "exit $rc" "$(tail -n 5 "$GW/secret.log")"
fi
chmod 0600 "$SECRET"
check "secret file mode 0600 accepted by lettergated -n" "$LG_BIN/lettergated" -n -c "$GW/secret.conf"

# ---- user = root refused ----
sed 's/^user = .*/user = root/' "$GW/lettergate.conf" >"$GW/root.conf"
timeout 20 "$LG_BIN/lettergated" -f -c "$GW/root.conf" >"$GW/root.log" 2>&1
rc=$?
if ((rc != 0)) && grep -qi 'root' "$GW/root.log"; then
	ok "user = root is refused"
else
	fail "user = root is refused" "exit $rc" "$(tail -n 5 "$GW/root.log")"
fi

# ---- privileges, socket and database ----
on_exit gw_stop "$GW"
# debug logging on: the strictest case for "no letter text in logs"
sock=$(gw_socket "$GW")
rm -f "$sock"
"$LG_BIN/lettergated" -f -d -c "$GW/lettergate.conf" 2>>"$GW/daemon.log" &
echo $! >"$GW/pid"
wait_for_socket "$sock" 20 || { fail "lettergated starts" "$(tail -n 20 "$GW/daemon.log")"; done_testing; }
ok "lettergated starts as root with user = nobody"
sleep 0.5
pids=$(cat "$GW/pid")
pids="$pids $(pgrep -P "$(cat "$GW/pid")" | tr '\n' ' ')"
for pid in $pids; do
	[[ -r /proc/$pid/status ]] || continue
	uids=$(awk '/^Uid:/{print $2,$3,$4,$5}' "/proc/$pid/status")
	gids=$(awk '/^Gid:/{print $2,$3,$4,$5}' "/proc/$pid/status")
	groups=$(awk '/^Groups:/{$1=""; print}' "/proc/$pid/status" | tr -d ' ')
	is "$uids" "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID" "pid $pid: real/effective/saved/fs uid are nobody's"
	is "$gids" "$NOBODY_GID $NOBODY_GID $NOBODY_GID $NOBODY_GID" "pid $pid: gids are nobody's group"
	is "$groups" "" "pid $pid: no supplementary groups"
done
is "$(stat -c '%a %U' "$sock")" "660 nobody" "socket has mode 0660 and belongs to the daemon's user"
db=$GW/db/lettergate.db
for f in "$db" "$db-wal" "$db-shm"; do
	[[ -e $f ]] || continue
	m=$(stat -c '%a' "$f")
	if (((8#$m & 8#007) == 0)); then
		ok "$(basename "$f") mode $m: nothing for others"
	else
		fail "$(basename "$f") mode $m: nothing for others"
	fi
done

# ---- no letter text in logs ----
if command -v swaks >/dev/null 2>&1 && [[ -x /usr/sbin/postfix ]]; then
	. "$LG_ROOT/tests/lib/postfix.sh"
	PF=$(lg_tmpdir pf)
	on_exit pf_stop "$PF"
	chmod 0666 "$sock" # Postfix runs as postfix; the mode check is done
	port=$(free_port)
	if pf_start "$PF" "$port" "unix:$sock" letters.example.org; then
		send() { # BODY -> reply line
			timeout 60 swaks --server "127.0.0.1:$port" --from anna.belova@example.net \
				--to ivan.petrov@letters.example.org --header 'Subject: Весточка из Тарусы' \
				--header 'Content-Type: text/plain; charset=utf-8' --body "$1" 2>&1 |
				grep -E '^<[-*~]+ +[0-9]{3}' | tail -n 2 | head -n 1
		}
		r1=$(send 'Дорогой Иван! Бабушка Евдокия испекла кулебяку с капустой, а кот Барсик поймал воробья. Обнимаем.')
		r2=$(send 'Иван, позвоните мне по номеру +7 916 555-12-34, Прасковья ждёт вашего звонка.')
		r3=$(send 'Иван, эти суки и блядские мусора, хуй им всем. Пафнутий.')
		r4=$(send 'Zdravstvuj Ivan! Xylophonist Quetzalcoatl visited Timbuktu yesterday.')
		note "replies: $r1 | $r2 | $r3 | $r4"
		like "$r1" ' 250 ' "a plain letter is accepted"
		pf_wait_queue_empty "$PF" 20 >/dev/null 2>&1
		sleep 1
		logs="$GW/daemon.log $PF/log/maillog"
		leaked=$(grep -o -h -E 'кулебяк|Барсик|Евдокия|воробья|Прасковья|555-12-34|Пафнутий|блядск|Xylophonist|Quetzalcoatl|Timbuktu|Тарус' $logs 2>/dev/null | sort -u | tr '\n' ' ')
		if [[ -z $leaked ]]; then
			ok "no letter text or subject in the daemon's debug log or Postfix's maillog"
		else
			fail "no letter text or subject in the daemon's debug log or Postfix's maillog" "found: $leaked"
		fi
		[[ -s $GW/daemon.log ]] && ok "the daemon did log ($(wc -l <"$GW/daemon.log") lines)"
	else
		fail "postfix starts"
	fi
else
	note "postfix or swaks missing: log check skipped"
fi
done_testing
