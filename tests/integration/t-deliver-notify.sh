#!/bin/bash
# t-deliver-notify.sh - notifications to writers (RFC 3834) through a real
# Postfix into a capture folder (smtp-sink):
#  - an accepted letter: exactly one "accepted" notification, Auto-Submitted:
#    auto-replied, null envelope sender, English and Russian, the Russian text
#    exactly as printed (the spool's <id>.txt), what was stripped and dropped;
#  - the spool's <id>.pdf: pdfinfo page count = "pages" in <id>.json,
#    pdftotext has the Russian text and the prisoner's name;
#  - a held letter: "held"; moderator reject: "rejected" with the reason;
#    moderator approve: "approved";
#  - partner status (POST /partner/status, signed): delivered, censored with
#    the reason; the same report again: no second notification;
#  - no notification to an unauthenticated writer (no Authentication-Results,
#    another authserv-id, dmarc for another domain), to automatic mail
#    (Auto-Submitted: auto-generated) or list mail (List-Id), nor for a
#    retried message; [notify] trusted_writers (a domain, an address).
#
# The daemon runs as an unprivileged user, and Postfix's sendmail refuses a
# private configuration (-C) to anyone but root (postdrop wants the
# directory listed in /etc/postfix/main.cf). So [notify] sendmail is a
# wrapper that hands its arguments and message to a relay loop of this
# script, which runs `sendmail -C <pfdir>/etc ARGS` as root and returns its
# exit status: the daemon's own command line reaches Postfix's sendmail.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd swaks python3 /usr/sbin/postfix /usr/sbin/sendmail vips pdfinfo pdftotext
need_bin lettergated lettergatectl
[ "$(id -u)" = 0 ] || skip_all "needs root (private Postfix, sendmail -C)"

GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
CAP=$(lg_tmpdir capture)
SQ=$(lg_tmpdir sendmail-queue)
W=$(lg_tmpdir work)
chmod 1777 "$SQ"
sport=$(free_port)
for s in http reply; do
	printf '%s-secret-%s\n' "$s" "$RANDOM$RANDOM" >"$GW/$s.secret"
	chmod 600 "$GW/$s.secret"
	chown "$GW_USER" "$GW/$s.secret"
done

# --- the sendmail wrapper and its relay ------------------------------------
cat >"$GW/sendmail" <<EOF
#!/bin/bash
# sendmail(1) for lettergated in this test: see t-deliver-notify.sh
q=$SQ
id=\$\$.\$RANDOM\$RANDOM
printf '%s\0' "\$@" >"\$q/\$id.args.tmp"
cat >"\$q/\$id.msg"
mv "\$q/\$id.args.tmp" "\$q/\$id.args"
for _ in \$(seq 1 300); do
	if [ -f "\$q/\$id.rc" ]; then
		rc=\$(cat "\$q/\$id.rc")
		rm -f "\$q/\$id".*
		exit "\$rc"
	fi
	sleep 0.1
done
exit 75
EOF
chmod 755 "$GW/sendmail"
relay_loop() {
	local a id args
	while :; do
		for a in "$SQ"/*.args; do
			[ -e "$a" ] || continue
			id=${a%.args}
			mapfile -d '' args <"$a"
			printf '%s\n' "${args[*]}" >>"$W/sendmail-calls.log"
			/usr/sbin/sendmail -C "$PF/etc" "${args[@]}" <"$id.msg" >>"$W/sendmail-err.log" 2>&1
			echo $? >"$id.rc.tmp"
			mv "$id.rc.tmp" "$id.rc"
			rm -f "$a"
		done
		sleep 0.05
	done
}
: >"$W/sendmail-calls.log"
calls() { wc -l <"$W/sendmail-calls.log"; }

gw_setup "$GW" "[gateway]
reply_secret_file = $GW/reply.secret
[delivery]
status_listen = 127.0.0.1:$sport
http_secret_file = $GW/http.secret
[notify]
enabled = true
from = letters@letters.example.org
authserv_id = mx.lettergate.test
trusted_writers = friends.example, solo@trusted.example
sendmail = $GW/sendmail -t -oi"
on_exit gw_stop "$GW"
on_exit pf_stop "$PF"

port=$(free_port)
PF_CAPTURE=$CAP pf_start "$PF" "$port" "unix:$(gw_socket "$GW")" letters.example.org ||
	{ fail "postfix starts"; done_testing; }
relay_loop &
relay_pid=$!
on_exit "kill $relay_pid 2>/dev/null; wait $relay_pid 2>/dev/null"
gw_start "$GW" || { fail "lettergated starts with [notify] and status_listen"; done_testing; }
ok "lettergated starts with [notify] and status_listen"
wait_for_port "$sport" 10 && ok "status listener up" || fail "status listener up" "$(tail "$GW/daemon.log")"

# --- helpers ------------------------------------------------------------------
# Captured messages as JSON lines: file, mail_from, rcpts, headers, body (the
# text/plain part decoded).
cat >"$W/cap.py" <<'PY'
import email, glob, json, sys
from email import policy
for f in sorted(glob.glob(sys.argv[1] + "/[0-9]*.*")):
    with open(f, "rb") as fh:
        m = email.message_from_binary_file(fh, policy=policy.default)
    body = ""
    part = m.get_body(preferencelist=("plain",))
    if part is not None:
        body = part.get_content()
    print(json.dumps({
        "file": f,
        "mail_from": str(m.get("X-Mail-Args", "")),
        "rcpts": [str(r).split()[0] for r in m.get_all("X-Rcpt-Args", [])],
        "to": str(m.get("To", "")),
        "from": str(m.get("From", "")),
        "subject": str(m.get("Subject", "")),
        "auto_submitted": str(m.get("Auto-Submitted", "")),
        "state": str(m.get("X-Lettergate-State", "")),
        "letter": str(m.get("X-Lettergate-Letter", "")),
        "body": body,
    }, ensure_ascii=False))
PY
caps() { python3 "$W/cap.py" "$CAP"; }
# count of captured notifications for WRITER [STATE] [LETTER]
ncap() {
	caps | python3 -c '
import json, sys
w, s, l = sys.argv[1], sys.argv[2], sys.argv[3]
n = 0
for line in sys.stdin:
    c = json.loads(line)
    if "<%s>" % w in c["rcpts"] and (not s or c["state"] == s) and (not l or c["letter"] == l):
        n += 1
print(n)' "$1" "${2:-}" "${3:-}"
}
ncap_is() { [ "$(ncap "$@")" = "${NWANT}" ]; }
# wait until exactly N captured for WRITER STATE, then a grace period
wait_ncap() { # N WRITER STATE [LETTER]
	local n=$1
	shift
	NWANT=$n wait_until 20 ncap_is "$@" || return 1
	pf_wait_queue_empty "$PF" 20 >/dev/null 2>&1
	[ "$(ncap "$@")" = "$n" ]
}
# the JSON of the one capture for WRITER STATE
cap_of() {
	caps | python3 -c '
import json, sys
for line in sys.stdin:
    c = json.loads(line)
    if "<%s>" % sys.argv[1] in c["rcpts"] and c["state"] == sys.argv[2]:
        print(line.strip()); break' "$1" "$2"
}
field() { python3 -c 'import json,sys; v=json.loads(sys.stdin.read() or "{}").get(sys.argv[1], ""); print(v if isinstance(v, str) else json.dumps(v))' "$1"; }

AR='Authentication-Results: mx.lettergate.test; dmarc=pass (p=none) header.from=example.net'
send() { # FROM TO MSGID BODY [swaks args...]
	local from=$1 to=$2 mid=$3 body=$4
	shift 4
	swaks --server "127.0.0.1:$port" --from "$from" --to "$to" \
		--header "From: $from" --header 'Subject: Письмо' \
		--header 'Content-Type: text/plain; charset=utf-8' \
		--header "Message-Id: <$mid@example.net>" --timeout 30 --body "$body" "$@" 2>&1
}
letters_json() { gw_ctl "$GW" letters list --json; }
ids() { letters_json | python3 -c 'import json,sys; print(" ".join(sorted(l["id"] for l in json.load(sys.stdin))))'; }
# the id of the one letter not in the list BEFORE (empty when none or several)
new_id() {
	letters_json | python3 -c '
import json, sys
old = set(sys.argv[1].split())
new = [l["id"] for l in json.load(sys.stdin) if l["id"] not in old]
print(new[0] if len(new) == 1 else "")' "$1"
}
report() { # ID STATUS [REASON]
	python3 "$LG_ROOT/tests/lib/fake_partner.py" report --url "http://127.0.0.1:$sport/partner/status" \
		--secret-file "$GW/http.secret" --id "$1" --status "$2" ${3:+--reason "$3"}
}

vips gaussnoise "$W/n.v" 400 300 && vips cast "$W/n.v" "$W/photo.jpg" uchar
head -c 4096 /dev/urandom >"$W/clip.mp4"

# --- 1. accepted -----------------------------------------------------------------
A=anna.belova@example.net
BODY1='Здравствуйте, Иван! Пишу вам из Казани. Весна пришла рано, во дворе расцвела сирень. Мамин номер +7 912 345-67-89, если нужно. Держитесь, мы с вами.'
# a fixed message file, so that a retry is the same bytes (as an MTA's is)
python3 - "$W/acc-1.eml" "$W/photo.jpg" "$W/clip.mp4" "$A" "$BODY1" "${AR#*: }" <<'PY'
import sys
from email.message import EmailMessage
from email import policy
path, photo, clip, writer, body, ar = sys.argv[1:7]
m = EmailMessage(policy=policy.SMTP)
m["Authentication-Results"] = ar
m["From"] = "Anna Belova <%s>" % writer
m["To"] = "ivan.petrov@letters.example.org"
m["Subject"] = "Письмо"
m["Date"] = "Mon, 02 Mar 2026 10:00:00 +0300"
m["Message-ID"] = "<acc-1@example.net>"
m.set_content(body)
m.add_attachment(open(photo, "rb").read(), maintype="image", subtype="jpeg", filename="lilac.jpg")
m.add_attachment(open(clip, "rb").read(), maintype="video", subtype="mp4", filename="clip.mp4")
open(path, "wb").write(m.as_bytes())
PY
send_eml() { # FROM TO FILE
	swaks --server "127.0.0.1:$port" --from "$1" --to "$2" --data "@$3" --timeout 30 2>&1
}
b0=$(ids)
out=$(send_eml "$A" ivan.petrov@letters.example.org "$W/acc-1.eml")
like "$out" '250 2\.0\.0' "authenticated Russian letter accepted by Postfix"
id1=$(new_id "$b0")
like "$id1" '^[0-9a-f]{16}$' "letter stored"
if wait_ncap 1 "$A" accepted "$id1"; then
	ok "exactly one 'accepted' notification to the writer"
else
	fail "exactly one 'accepted' notification to the writer" "captured: $(ncap "$A")" \
		"$(tail -n 5 "$W/sendmail-err.log" 2>/dev/null)" "$(grep -i notif "$GW/daemon.log" | tail -n 5)"
fi
c=$(cap_of "$A" accepted)
is "$(field auto_submitted <<<"$c")" auto-replied "Auto-Submitted: auto-replied"
is "$(field mail_from <<<"$c")" "<>" "sent with the null envelope sender"
like "$(field from <<<"$c")" 'letters@letters\.example\.org' "From is [notify] from"
like "$(head -n1 "$W/sendmail-calls.log")" '(^| )-f <>( |$)' "sendmail called with -f <>"
like "$(head -n1 "$W/sendmail-calls.log")" '(^| )-t( |$)' "sendmail called with the configured -t"
body=$(field body <<<"$c")
like "$body" 'Your letter to Петров Иван Сергеевич has been accepted' "English text"
like "$body" 'Ваше письмо для Петров Иван Сергеевич принято' "Russian text"
like "$body" 'Removed from the text / Удалено из текста' "says what was stripped"
like "$body" 'phone' "names the stripped phone number"
like "$body" 'clip\.mp4' "names the dropped video"
if [ -n "$id1" ] && wait_until 20 test -f "$GW/out/$id1.json"; then
	printed=$(cat "$GW/out/$id1.txt")
	printf '%s' "$c" >"$W/acc.json"
	cat >"$W/printed.py" <<'PY'
import json, sys
body = json.load(open(sys.argv[2], encoding="utf-8"))["body"]
printed = open(sys.argv[1], encoding="utf-8").read()
start = body.index("--------\n") + len("--------\n")
end = body.index("\n-----------------------------------------------------------\n", start)
if body[start:end].rstrip("\n") != printed.rstrip("\n"):
    sys.exit(1)
PY
	if python3 "$W/printed.py" "$GW/out/$id1.txt" "$W/acc.json"; then
		ok "the notification carries the letter exactly as printed (spool .txt)"
	else
		fail "the notification carries the letter exactly as printed (spool .txt)" "printed: $printed" "body: $body"
	fi
	if grep -q '912' <<<"$printed"; then fail "phone number not in the printed text"; else ok "phone number not in the printed text"; fi
	# 3. the print-ready PDF
	json_pages=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pages"])' "$GW/out/$id1.json")
	pdf_pages=$(pdfinfo "$GW/out/$id1.pdf" 2>/dev/null | sed -n 's/^Pages: *//p')
	is "$pdf_pages" "$json_pages" "spool PDF page count (pdfinfo) equals pages in the JSON"
	[ "${pdf_pages:-0}" -ge 2 ] && ok "the photo has a page of its own ($pdf_pages pages)" ||
		fail "the photo has a page of its own" "pages: $pdf_pages"
	ptext=$(pdftotext "$GW/out/$id1.pdf" - 2>/dev/null)
	like "$ptext" 'Петров Иван Сергеевич' "PDF text has the prisoner's name"
	like "$ptext" 'ИК-11' "PDF text has the facility"
	like "$(tr -s ' \n' ' ' <<<"$ptext")" 'расцвела сирень' "PDF text has the Russian letter"
	if grep -q "$A" "$GW/out/$id1.json"; then fail "writer's address not in the spool JSON"; else ok "writer's address not in the spool JSON"; fi
else
	fail "letter reaches the spool" "$(tail -n 10 "$GW/daemon.log")"
fi

# the same message again (the sender's MTA retrying): no second notification
n0=$(calls)
out=$(send_eml "$A" ivan.petrov@letters.example.org "$W/acc-1.eml")
like "$out" '250 2\.0\.0' "retried message accepted"
is "$(calls)" "$n0" "a retried message sends no second notification"

# --- 2. partner status: delivered, censored, the same report again -------------
wait_until 20 bash -c "[ \"\$(\"$LG_BIN/lettergatectl\" -c \"$GW/lettergate.conf\" letters list --json | grep -c '\"sent\"')\" -ge 1 ]"
is "$(report "$id1" delivered)" 200 "partner status 'delivered' accepted by the listener"
wait_ncap 1 "$A" delivered "$id1" && ok "one 'delivered' notification" ||
	fail "one 'delivered' notification" "$(caps | tail -n 3)"
like "$(cap_of "$A" delivered | field body)" 'has been delivered' "delivered notification text"
n0=$(calls)
is "$(report "$id1" delivered)" 200 "the same status reported again"
sleep 0.5
is "$(calls)" "$n0" "a second identical state sends no second notification"
wait_ncap 1 "$A" delivered "$id1" && ok "still one 'delivered' notification" ||
	fail "still one 'delivered' notification" "$(ncap "$A" delivered)"
bad=$(python3 "$LG_ROOT/tests/lib/fake_partner.py" report --url "http://127.0.0.1:$sport/partner/status" \
	--secret-file "$GW/reply.secret" --id "$id1" --status censored)
is "$bad" 401 "a report with a bad signature is refused (401)"

B=boris.ivanov@example.net
b0=$(ids)
out=$(send "$B" maria.sokolova@letters.example.org cens-1 'Дорогая Мария, обнимаем вас крепко. Ждём домой, все передают привет.' --header "$AR")
like "$out" '250 2\.0\.0' "second letter accepted"
id2=$(new_id "$b0")
wait_ncap 1 "$B" accepted "$id2" && ok "second writer notified: accepted" || fail "second writer notified: accepted"
wait_until 20 test -f "$GW/out/$id2.json"
REASON='Упоминание третьих лиц / mentions third parties'
is "$(report "$id2" censored "$REASON")" 200 "partner status 'censored' accepted"
wait_ncap 1 "$B" censored "$id2" && ok "one 'censored' notification" || fail "one 'censored' notification"
cb=$(cap_of "$B" censored | field body)
like "$cb" 'did not pass your letter' "censored notification in English"
like "$cb" 'Цензура учреждения не пропустила' "censored notification in Russian"
like "$cb" 'Причина: Упоминание третьих лиц / mentions third parties' "censored notification gives the partner's reason"
state=$(letters_json | python3 -c 'import json,sys; print([l["state"] for l in json.load(sys.stdin) if l["id"]==sys.argv[1]][0])' "$id2")
is "$state" censored "letter state is censored"

# --- 3. held, then moderator reject / approve ---------------------------------
E=emily.carter@example.net
EN='Dear Oleg, we think of you every day. The garden is full of apples this autumn and the children are learning to ride their bicycles. With warm wishes, Emily'
b0=$(ids)
out=$(send "$E" oleg.vasin@letters.example.org held-1 "$EN" --header "$AR")
like "$out" '250 2\.0\.0' "English letter (no translator) accepted by SMTP and held"
id3=$(new_id "$b0")
wait_ncap 1 "$E" held "$id3" && ok "one 'held' notification" || fail "one 'held' notification" "$(grep -i notif "$GW/daemon.log" | tail -n 5)"
hb=$(cap_of "$E" held | field body)
like "$hb" 'waiting for a volunteer moderator' "held notification in English"
like "$hb" 'ожидает проверки модератором' "held notification in Russian"
is "$(ncap "$E" accepted)" 0 "no 'accepted' notification for a held letter"
RJ='The letter is in English; please write in Russian / Письмо на английском, пишите по-русски'
if out=$(gw_ctl "$GW" queue reject "$id3" --reason "$RJ" 2>&1); then ok "moderator rejects"; else fail "moderator rejects" "$out"; fi
if wait_ncap 1 "$E" rejected "$id3"; then
	ok "one 'rejected' notification"
	rb=$(cap_of "$E" rejected | field body)
	like "$rb" 'did not approve your letter to Васин Олег Петрович' "rejected notification in English"
	like "$rb" 'не одобрил ваше письмо' "rejected notification in Russian"
	like "$rb" 'Reason / Причина: The letter is in English; please write in Russian / Письмо на английском, пишите по-русски' \
		"rejected notification gives the moderator's reason"
	is "$(cap_of "$E" rejected | field auto_submitted)" auto-replied "rejected notification is auto-replied"
else
	fail "one 'rejected' notification (lettergatectl queue reject wiring)" "$(ncap "$E")" "$(tail -n 3 "$W/sendmail-err.log" 2>/dev/null)"
fi
b0=$(ids)
out=$(send "$E" oleg.vasin@letters.example.org held-2 "Dear Oleg, the apples were sweet this year and the river is high. We are waiting for you. Emily" --header "$AR")
id4=$(new_id "$b0")
wait_ncap 1 "$E" held "$id4" && ok "second held letter: 'held'" || fail "second held letter: 'held'"
printf 'Олег, яблоки в этом году сладкие, река высокая. Мы ждём вас. Эмили\n' >"$W/ru.txt"
if out=$(gw_ctl "$GW" queue edit "$id4" --file "$W/ru.txt" 2>&1); then ok "moderator puts in a Russian text"; else fail "moderator puts in a Russian text" "$out"; fi
if out=$(gw_ctl "$GW" queue approve "$id4" 2>&1); then ok "moderator approves"; else fail "moderator approves" "$out"; fi
wait_ncap 1 "$E" approved "$id4" && ok "one 'approved' notification" || fail "one 'approved' notification"

# --- 4. no notification ---------------------------------------------------------
b0=$(ids)
n0=$(calls)
U=u.nauth@example.net
out=$(send "$U" ivan.petrov@letters.example.org noauth-1 'Иван, здравствуйте! Мы помним о вас и ждём.')
like "$out" '250 2\.0\.0' "unauthenticated writer's letter accepted"
out=$(send "$U" ivan.petrov@letters.example.org noauth-2 'Иван, здравствуйте! Пишем снова, у нас всё хорошо.' \
	--header 'Authentication-Results: mx.other.test; dmarc=pass header.from=example.net')
like "$out" '250 2\.0\.0' "letter with another authserv-id accepted"
out=$(send "$U" ivan.petrov@letters.example.org noauth-3 'Иван, здравствуйте! Весна у нас в этом году ранняя.' \
	--header 'Authentication-Results: mx.lettergate.test; dmarc=pass header.from=other.example')
like "$out" '250 2\.0\.0' "letter with dmarc=pass for another domain accepted"
out=$(send "$A" ivan.petrov@letters.example.org auto-1 'Иван, здравствуйте! Это письмо от автомата.' \
	--header "$AR" --header 'Auto-Submitted: auto-generated')
like "$out" '250 2\.0\.0' "Auto-Submitted: auto-generated letter accepted"
out=$(send "$A" ivan.petrov@letters.example.org list-1 'Иван, здравствуйте! Это письмо из рассылки друзей.' \
	--header "$AR" --header 'List-Id: Friends <friends.example.net>')
like "$out" '250 2\.0\.0' "List-Id letter accepted"
is "$(letters_json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "$(($(wc -w <<<"$b0") + 5))" "the five letters are stored"
is "$(calls)" "$n0" "no notification for unauthenticated, automatic or list mail"
pf_wait_queue_empty "$PF" 20 >/dev/null 2>&1
sleep 0.5
is "$(ncap "$U")" 0 "nothing captured for the unauthenticated writer"
is "$(ncap "$A" accepted)" 1 "nothing more captured for the automatic and list mail"

# an unauthenticated writer's held letter, rejected: still nothing
b0=$(ids)
n0=$(calls)
out=$(send "$U" oleg.vasin@letters.example.org noauth-held 'Dear Oleg, we are thinking of you and hope you are well. Your friends' )
idu=$(new_id "$b0")
like "$idu" '^[0-9a-f]{16}$' "unauthenticated English letter stored (held)"
gw_ctl "$GW" queue reject "$idu" --reason 'not in Russian' >/dev/null 2>&1
is "$(calls)" "$n0" "no 'held' or 'rejected' notification for an unauthenticated writer"

# trusted_writers: a listed domain and a listed address, without Authentication-Results
T1=helper@friends.example
T2=solo@trusted.example
T3=other@trusted.example
n0=$(calls)
out=$(send "$T1" maria.sokolova@letters.example.org trust-1 'Мария, здравствуйте! Передаём вам привет от всех друзей.')
out=$(send "$T2" maria.sokolova@letters.example.org trust-2 'Мария, здравствуйте! У нас всё спокойно, ждём вас.')
out=$(send "$T3" maria.sokolova@letters.example.org trust-3 'Мария, здравствуйте! Пишу вам впервые, держитесь.')
wait_ncap 1 "$T1" accepted && ok "trusted_writers domain: notified" || fail "trusted_writers domain: notified"
wait_ncap 1 "$T2" accepted && ok "trusted_writers address: notified" || fail "trusted_writers address: notified"
is "$(calls)" "$((n0 + 2))" "another address of that domain: not notified (two sendmail calls for three letters)"
is "$(ncap "$T3")" 0 "nothing captured for the unlisted address"

# nothing else went anywhere: every captured message is a notification
others=$(caps | python3 -c '
import json, sys
for l in sys.stdin:
    c = json.loads(l)
    if not c["state"] or c["mail_from"] != "<>" or c["auto_submitted"] != "auto-replied":
        print(c["file"], c["rcpts"], c["subject"])')
is "$others" "" "every captured message is an auto-replied notification with a null sender"
if grep -q -e 'расцвела' -e 'anna.belova@example.net' "$GW/daemon.log"; then
	fail "no letter text or writer address in the daemon's log"
else
	ok "no letter text or writer address in the daemon's log"
fi
done_testing
