#!/bin/bash
# t-deliver-reply.sh - a prisoner's reply carried back through a real
# Postfix: a letter is accepted and spooled; its reply_to (spool JSON) is a
# signed reply+<id>.<hmac>@letters.example.org; the partner mails the
# scanned reply (text and an image) there; the writer receives it, with the
# image, in the capture folder (smtp-sink); the reply+ recipient is not
# delivered anywhere else; the writer's address is not in the spool JSON; a
# bad token gets 550 5.7.1 at RCPT, a well-signed token of an unknown letter
# 550 5.7.1 at the end of data; the same reply sent twice (same Message-ID)
# reaches the writer once, also when the partner's second copy differs in
# its bytes (new Date, new MIME boundary).
#
# [notify] sendmail is a wrapper relaying to `sendmail -C <pfdir>/etc` run
# as root (see t-deliver-notify.sh for why).
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd swaks python3 /usr/sbin/postfix /usr/sbin/sendmail vips
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

gw_setup "$GW" "[gateway]
reply_secret_file = $GW/reply.secret
[delivery]
status_listen = 127.0.0.1:$sport
http_secret_file = $GW/http.secret
[notify]
enabled = true
from = letters@letters.example.org
authserv_id = mx.lettergate.test
sendmail = $GW/sendmail -t -oi"
on_exit gw_stop "$GW"
on_exit pf_stop "$PF"

port=$(free_port)
PF_CAPTURE=$CAP pf_start "$PF" "$port" "unix:$(gw_socket "$GW")" letters.example.org ||
	{ fail "postfix starts"; done_testing; }
relay_loop &
relay_pid=$!
on_exit "kill $relay_pid 2>/dev/null; wait $relay_pid 2>/dev/null"
gw_start "$GW" || { fail "lettergated starts"; done_testing; }
ok "lettergated starts"

# Captured messages as JSON lines: rcpts, headers, the text parts and the
# attachments (name, type, sha256) of each.
cat >"$W/cap.py" <<'PY'
import email, glob, hashlib, json, sys
from email import policy
for f in sorted(glob.glob(sys.argv[1] + "/[0-9]*.*")):
    with open(f, "rb") as fh:
        m = email.message_from_binary_file(fh, policy=policy.default)
    texts, atts = [], []
    for part in m.walk():
        if part.is_multipart():
            continue
        if part.get_content_maintype() == "text" and part.get_filename() is None:
            texts.append(part.get_content())
        else:
            data = part.get_payload(decode=True) or b""
            atts.append({"name": part.get_filename() or "", "type": part.get_content_type(),
                         "sha256": hashlib.sha256(data).hexdigest()})
    print(json.dumps({
        "file": f,
        "mail_from": str(m.get("X-Mail-Args", "")),
        "rcpts": [str(r).split()[0] for r in m.get_all("X-Rcpt-Args", [])],
        "to": str(m.get("To", "")),
        "subject": str(m.get("Subject", "")),
        "auto_submitted": str(m.get("Auto-Submitted", "")),
        "state": str(m.get("X-Lettergate-State", "")),
        "letter": str(m.get("X-Lettergate-Letter", "")),
        "texts": texts, "attachments": atts,
    }, ensure_ascii=False))
PY
caps() { python3 "$W/cap.py" "$CAP"; }
# forwarded replies captured for WRITER (messages with "Reply from" subject)
replies_for() {
	caps | python3 -c '
import json, sys
for line in sys.stdin:
    c = json.loads(line)
    if "<%s>" % sys.argv[1] in c["rcpts"] and c["subject"].startswith("Reply from"):
        print(line.strip())' "$1"
}
nreplies() { replies_for "$1" | wc -l; }
nreplies_is() { [ "$(nreplies "$1")" = "$2" ]; }
field() { python3 -c 'import json,sys; v=json.loads(sys.stdin.read() or "{}").get(sys.argv[1], ""); print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))' "$1"; }

# --- a letter, accepted and spooled --------------------------------------------
A=anna.belova@example.net
out=$(swaks --server "127.0.0.1:$port" --from "$A" --to ivan.petrov@letters.example.org \
	--header "From: Anna Belova <$A>" --header 'Subject: Письмо' \
	--header 'Authentication-Results: mx.lettergate.test; dmarc=pass header.from=example.net' \
	--header 'Content-Type: text/plain; charset=utf-8' --header 'Message-Id: <letter-1@example.net>' \
	--body 'Здравствуйте, Иван! Пишу вам из Казани. Весна пришла рано, во дворе расцвела сирень. Держитесь!' \
	--timeout 30 2>&1)
like "$out" '250 2\.0\.0' "letter accepted by Postfix"
if ! wait_until 20 bash -c "ls '$GW/out'/*.json >/dev/null 2>&1"; then
	fail "letter reaches the spool" "$(tail -n 20 "$GW/daemon.log")"
	done_testing
fi
json=$(ls "$GW"/out/*.json | head -n1)
id=$(basename "$json" .json)
reply_to=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sender"]["reply_to"])' "$json")
like "$reply_to" "^reply\+$id\.[0-9a-f]{16}@letters\.example\.org$" "spool JSON reply_to is reply+<id>.<hmac16>@letters.example.org"
if grep -q "$A" "$GW/out/$id".*; then
	fail "writer's address not in the spool files"
else
	ok "writer's address not in the spool files"
fi
wait_until 20 bash -c "[ \$(python3 '$W/cap.py' '$CAP' | grep -c '\"state\": \"accepted\"') -ge 1 ]" &&
	ok "writer notified: accepted" || fail "writer notified: accepted"

# --- the prisoner's reply, sent by the partner ---------------------------------
vips gaussnoise "$W/n.v" 640 480 && vips cast "$W/n.v" "$W/scan.jpg" uchar
scan_sha=$(sha256sum "$W/scan.jpg" | cut -d' ' -f1)
mkreply() { # FILE DATE (a new MIME boundary each time)
	python3 - "$1" "$W/scan.jpg" "$reply_to" "$2" <<'PY'
import sys
from email.message import EmailMessage
from email import policy
path, scan, to, date = sys.argv[1:5]
m = EmailMessage(policy=policy.SMTP)
m["From"] = "FSIN-Pismo <replies@partner.test>"
m["To"] = to
m["Subject"] = "Ответ на письмо"
m["Date"] = date
m["Message-ID"] = "<reply-1@partner.test>"
m.set_content("Ответ от Петрова Ивана Сергеевича. Спасибо за письмо, сирень снится мне по ночам.")
m.add_attachment(open(scan, "rb").read(), maintype="image", subtype="jpeg", filename="otvet-1.jpg")
open(path, "wb").write(m.as_bytes())
PY
}
mkreply "$W/reply-1.eml" "Tue, 03 Mar 2026 12:00:00 +0300"
send_reply() { # FILE [TO]
	swaks --server "127.0.0.1:$port" --from replies@partner.test --to "${2:-$reply_to}" \
		--data "@$1" --timeout 30 2>&1
}
out=$(send_reply "$W/reply-1.eml")
like "$out" '250 2\.0\.0' "the reply is accepted by Postfix"
if wait_until 20 nreplies_is "$A" 1; then
	ok "the writer receives the reply"
else
	fail "the writer receives the reply" "$(tail -n 10 "$GW/daemon.log")" "$(tail -n 5 "$W/sendmail-err.log" 2>/dev/null)"
fi
r=$(replies_for "$A" | head -n1)
like "$(field to <<<"$r")" "$A" "forwarded To: the writer"
is "$(field mail_from <<<"$r")" "<>" "forwarded with the null envelope sender"
like "$(field auto_submitted <<<"$r")" '^auto-' "forwarded reply is marked Auto-Submitted"
is "$(field letter <<<"$r")" "$id" "forwarded reply names the letter"
like "$(field texts <<<"$r")" 'сирень снится мне по ночам' "the prisoner's text is forwarded"
like "$(field texts <<<"$r")" 'Петров Иван Сергеевич' "the forward says who replied"
atts=$(field attachments <<<"$r")
like "$atts" "\"sha256\": \"$scan_sha\"" "the scanned image is forwarded byte for byte"
like "$atts" '"type": "image/jpeg"' "as image/jpeg"
like "$atts" '"name": "otvet-1.jpg"' "with its file name"

pf_wait_queue_empty "$PF" 20 >/dev/null 2>&1
elsewhere=$(caps | python3 -c '
import json, sys
for l in sys.stdin:
    c = json.loads(l)
    if any("reply+" in r for r in c["rcpts"]) or "<replies@partner.test>" in c["mail_from"]:
        print(c["file"], c["rcpts"])')
is "$elsewhere" "" "the reply+ recipient is not delivered anywhere else"
if grep -E 'to=<reply\+[^>]*>.*status=(sent|deferred|bounced)' "$PF/log/maillog" | grep -q .; then
	fail "Postfix delivered nothing to reply+" "$(grep 'to=<reply+' "$PF/log/maillog")"
else
	ok "Postfix delivered nothing to reply+"
fi
like "$(grep 'milter-discard' "$PF/log/maillog")" 'to=<reply\+' "the reply's message is discarded by the milter once forwarded"

# --- the same reply again -------------------------------------------------------
out=$(send_reply "$W/reply-1.eml")
like "$out" '250 2\.0\.0' "the same reply again is accepted"
sleep 1
pf_wait_queue_empty "$PF" 20 >/dev/null 2>&1
is "$(nreplies "$A")" 1 "the same reply (same bytes) is forwarded once"
mkreply "$W/reply-1b.eml" "Tue, 03 Mar 2026 12:05:00 +0300"
out=$(send_reply "$W/reply-1b.eml")
like "$out" '250 2\.0\.0' "the partner's resent copy (same Message-ID, new Date and boundary) is accepted"
sleep 1
pf_wait_queue_empty "$PF" 20 >/dev/null 2>&1
is "$(nreplies "$A")" 1 "the same reply (same Message-ID, other bytes) is forwarded once"

# --- bad tokens ------------------------------------------------------------------
mac=${reply_to#reply+"$id".}
mac=${mac%@*}
last=${mac: -1}
[ "$last" = 0 ] && flip=1 || flip=0
bad="reply+$id.${mac%?}$flip@letters.example.org"
out=$(send_reply "$W/reply-1.eml" "$bad")
like "$out" '550 5\.7\.1' "a bad token gets 550 5.7.1"
out=$(send_reply "$W/reply-1.eml" "reply+$id@letters.example.org")
like "$out" '550 5\.7\.1' "a token without its HMAC gets 550 5.7.1"
other=0123456789abcdef
omac=$(python3 -c '
import hmac, hashlib, sys
key = open(sys.argv[1]).read().splitlines()[0].strip().encode()
print(hmac.new(key, sys.argv[2].encode(), hashlib.sha256).hexdigest()[:16])' "$GW/reply.secret" "$other")
out=$(send_reply "$W/reply-1.eml" "reply+$other.$omac@letters.example.org")
like "$out" '550 5\.7\.1' "a well-signed token of an unknown letter gets 550 5.7.1"
is "$(nreplies "$A")" 1 "nothing forwarded for bad tokens"

# --- status "reply" from the partner -------------------------------------------
code=$(python3 "$LG_ROOT/tests/lib/fake_partner.py" report --url "http://127.0.0.1:$sport/partner/status" \
	--secret-file "$GW/http.secret" --id "$id" --status reply)
is "$code" 200 "partner status 'reply' accepted"
wait_until 20 bash -c "python3 '$W/cap.py' '$CAP' | grep -q '\"state\": \"reply\"'" &&
	ok "writer notified that a reply has arrived" || fail "writer notified that a reply has arrived"

if grep -q -e 'сирень' -e "$A" "$GW/daemon.log"; then
	fail "no letter or reply text, no writer address in the daemon's log"
else
	ok "no letter or reply text, no writer address in the daemon's log"
fi
done_testing
