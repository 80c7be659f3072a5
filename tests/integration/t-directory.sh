#!/bin/bash
# t-directory.sh - the prisoner directory with a real Postfix: import with
# generated aliases and a field-level --dry-run; a Cyrillic address over
# SMTPUTF8 and other spellings reach the prisoner, in any case; a release
# takes effect at once: new letters get 550 5.1.6 and letters still waiting
# fail with a notification to the writer. Then retention: `purge` deletes
# texts of letters past [retention] days and keeps their metadata.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd python3 /usr/sbin/postfix
need_bin lettergated lettergatectl

GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
MAIL=$(lg_tmpdir mail)
chmod 1777 "$MAIL"
gw_setup "$GW" "[notify]
enabled = true
trusted_writers = example.net
sendmail = /bin/sh -c \"cat > \$(mktemp $MAIL/n.XXXXXX)\"
[retention]
days = 30
"

cat >"$LG_TMP/dir.csv" <<'CSV'
alias,full_name,birth_year,region,facility,status,aliases
,Кузнецова Юлия Олеговна,1988,Самарская область,ИК-15,active,
,Петров Иван Сергеевич,1991,Омская область,ИК-7,active,vanya.petrov
CSV
out=$(gw_ctl "$GW" prisoner import "$LG_TMP/dir.csv" --dry-run)
like "$out" 'add yuliya\.kuznetsova \(alias from the name\)' "dry run: alias generated from the name"
like "$out" 'add ivan\.petrov\.1991' "dry run: a name collision gets the birth year"
like "$out" '\+ alias юлия\.кузнецова' "dry run: the Cyrillic spelling is added"
like "$out" 'dry run: 2 to add, 0 to update' "dry run counts"
n=$(gw_ctl "$GW" prisoner list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
is "$n" 4 "dry run changes nothing"
gw_ctl "$GW" prisoner import "$LG_TMP/dir.csv" >/dev/null
out=$(gw_ctl "$GW" prisoner import "$LG_TMP/dir.csv" --dry-run)
like "$out" '0 to add, 0 to update, 2 unchanged, 0 new aliases' "importing again changes nothing"
sed -i 's/ИК-15,active/ИК-3,transferred/' "$LG_TMP/dir.csv"
out=$(gw_ctl "$GW" prisoner import "$LG_TMP/dir.csv" --dry-run)
like "$out" 'facility: "ИК-15" -> "ИК-3"' "dry run shows a changed field"
like "$out" 'status: "active" -> "transferred"' "dry run shows a status change"

gw_pf_start "$GW" "$PF" letters.example.org

# send FROM RCPT ID TEXT: SMTPUTF8 when the address needs it
send() {
	python3 - "$port" "$@" <<'PY'
import smtplib, sys
from email.message import EmailMessage
port, frm, rcpt, mid, text = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
m = EmailMessage()
m["From"], m["To"], m["Subject"], m["Message-Id"] = frm, rcpt, "Письмо", "<%s@example.net>" % mid
m.set_content(text)
utf8 = not rcpt.isascii()
s = smtplib.SMTP("127.0.0.1", port, timeout=60)
try:
    s.send_message(m, frm, [rcpt], mail_options=["SMTPUTF8"] if utf8 else [])
    print("250 accepted")
except smtplib.SMTPRecipientsRefused as e:
    for r, (c, msg) in e.recipients.items():
        print(c, msg.decode(errors="replace"))
except smtplib.SMTPResponseException as e:
    print(e.smtp_code, e.smtp_error.decode(errors="replace"))
s.quit()
PY
}
prisoner_of() { gw_ctl "$GW" letters list --json | python3 -c "import json,sys; print([l['prisoner'] for l in json.load(sys.stdin) if l['id']=='$1'][0])"; }
last_id() { gw_ctl "$GW" letters list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])'; }

out=$(send anna@example.net 'Иван.Петров@letters.example.org' d1 'Здравствуйте, Иван! Пишу вам из Казани.')
like "$out" '^250' "a Cyrillic address over SMTPUTF8 is accepted (any case)"
is "$(prisoner_of "$(last_id)")" ivan.petrov "and reaches ivan.petrov"
out=$(send anna@example.net 'VANYA.PETROV@letters.example.org' d2 'Иван, привет! Это второе письмо.')
like "$out" '^250' "an extra Latin spelling is accepted"
is "$(prisoner_of "$(last_id)")" ivan.petrov.1991 "and reaches its prisoner"
out=$(send anna@example.net 'мария.соколова@letters.example.org' d3 'Dear Maria, we think of you every day and wait for you at home.')
like "$out" '^250' "a held letter to maria.sokolova"
held=$(last_id)

out=$(gw_ctl "$GW" prisoner set-status maria.sokolova released --as admin)
like "$out" '1 letters not yet delivered failed' "a release fails the letters still waiting"
st=$(gw_ctl "$GW" letters show "$held" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
is "$st" failed "the held letter is now failed"
if wait_until 10 bash -c "grep -l 'X-Lettergate' '$MAIL'/n.* >/dev/null 2>&1 || ls '$MAIL'/n.* >/dev/null 2>&1"; then
	ok "the writer is notified"
else
	fail "the writer is notified"
fi
out=$(send anna@example.net maria.sokolova@letters.example.org d4 'Мария, здравствуйте!')
like "$out" '^550' "a new letter to the released prisoner is refused at once"
like "$out" '5\.1\.6' "with 5.1.6"

# retention: 31 days after delivery the texts go, the metadata stays
wait_until 20 bash -c "ls '$GW/out'/*.json >/dev/null 2>&1"
later=$(($(date +%s) + 31 * 86400))
out=$(LG_FAKE_NOW=$later gw_ctl "$GW" purge --dry-run)
like "$out" 'dry run: would purge [1-9]' "purge --dry-run counts letters past retention"
out=$(gw_ctl "$GW" purge)
like "$out" 'purged 0 letters' "nothing is purged before its time"
out=$(LG_FAKE_NOW=$later gw_ctl "$GW" purge)
like "$out" 'purged [1-9][0-9]* letters' "purge deletes texts past retention"
j=$(gw_ctl "$GW" letters show "$held" --json)
like "$j" '"purged" : [0-9]+' "a purged letter says so"
like "$j" '"state" : "failed"' "its metadata is kept"
if grep -q 'Dear Maria' <<<"$j"; then fail "its text is gone"; else ok "its text is gone"; fi
s=$(gw_ctl "$GW" stats --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(x["total"] for x in d["per_day"]))')
is "$s" 3 "stats still count purged letters"
done_testing
