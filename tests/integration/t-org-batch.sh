#!/bin/bash
# t-org-batch.sh - an organisation (recognised by its client address range)
# sends one message carrying 200 supporters' letters through a real
# Postfix: 250; 200 letters stored, each screened on its own and signed with
# its supporter's name; the obscene ones and the "already sent" ones are
# rejected individually; the batch report (CSV) goes back to the submitter;
# the same batch again (a sender's retry) stores nothing new; an individual
# writer from outside the range is not a batch; over the organisation's
# quota the whole batch gets 451 4.7.1 with the reset time. The batch needs
# more MIME parts than [limits] mime_parts (200) allows anyone else:
# [organizations] mime_parts (5000) covers submitters recognised by address
# and by authenticated domain; from anyone else the same message is refused.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd python3 /usr/sbin/postfix
need_bin lettergated lettergatectl

GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
REP=$(lg_tmpdir reports)
chmod 1777 "$REP"
gw_setup "$GW" "[organizations]
networks = 127.0.0.1/32
quota_day = 250
report_from = reports@letters.example.org
[notify]
sendmail = /bin/sh -c \"cat > \$(mktemp $REP/report.XXXXXX)\"
"
gw_pf_start "$GW" "$PF" letters.example.org

# send FILE RCPT: prints the SMTP outcome ("250 ..." or "451 ...")
send() {
	python3 - "$port" "$1" "$2" <<'PY'
import smtplib, sys
port, path, rcpt = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = open(path, "rb").read()
s = smtplib.SMTP("127.0.0.1", port, timeout=280)
try:
    s.sendmail("batch@org.example", [rcpt], data)
    print("250 accepted")
except smtplib.SMTPResponseException as e:
    print(e.smtp_code, e.smtp_error.decode(errors="replace"))
except smtplib.SMTPRecipientsRefused as e:
    for r, (c, m) in e.recipients.items():
        print(c, m.decode(errors="replace"))
s.quit()
PY
}

python3 "$LG_ROOT/tests/eml/org/make_batch.py" 200 "$LG_TMP/batch.eml"
t0=$(date +%s)
out=$(send "$LG_TMP/batch.eml" ivan.petrov@letters.example.org)
like "$out" '^250' "a 200-letter batch is accepted by Postfix ($(($(date +%s) - t0)) s)"

letters() { gw_ctl "$GW" letters list --json; }
count() { letters | python3 -c "import json,sys; print(sum(1 for l in json.load(sys.stdin) if $1))"; }
is "$(count 'l.get("batch")')" 200 "200 letters stored, each with the batch id"
is "$(count 'l["state"] == "rejected"')" 24 "24 refused individually (20 obscene, 4 already sent)"
is "$(count 'l["state"] in ("queued", "sent")')" 176 "176 accepted and queued"

batch=$(gw_ctl "$GW" batch list --json | python3 -c 'import json,sys; b=json.load(sys.stdin); print(len(b), b[0]["id"], b[0]["letters"])')
like "$batch" '^1 [0-9a-f]{16} 200$' "one batch of 200 recorded"
bid=$(awk '{print $2}' <<<"$batch")
csv=$(gw_ctl "$GW" batch report "$bid")
is "$(grep -c . <<<"$csv")" 201 "lettergatectl batch report: header and 200 rows"
like "$(head -n1 <<<"$csv")" '^letter_id,prisoner,writer,verdict,state,reasons' "report CSV header"
like "$csv" ',rejected,rejected,"?The letter contains obscene' "report names the reason of a refused letter"
like "$csv" 'Already sent' "report names the 'already sent' refusals"
id=$(grep ',Сторонник 005,' <<<"$csv" | cut -d, -f1)
show=$(gw_ctl "$GW" letters show "$id" --json)
like "$show" '"writer_name" : "Сторонник 005"' "a letter is signed with its supporter's display name"
like "$show" 'Письмо номер 5\.' "a letter carries its own supporter's text only"
if grep -q 'Письмо номер 6\.' <<<"$show"; then fail "no other supporter's text leaks in"; else ok "no other supporter's text leaks in"; fi
like "$show" '"org" : "net:127.0.0.1/32"' "the letter names the organisation"


if wait_until 20 bash -c "ls '$REP'/report.* >/dev/null 2>&1 && grep -q batch- '$REP'/report.*"; then
	rep=$(cat "$REP"/report.*)
	like "$rep" 'To: batch@org.example' "the report goes back to the submitter"
	like "$rep" "Subject: lettergate batch $bid: 200 letters" "report subject counts the letters"
	like "$rep" "batch-$bid.csv" "report carries the CSV"
else
	fail "the batch report is mailed" "$(tail -n 20 "$GW/daemon.log")"
fi

out=$(send "$LG_TMP/batch.eml" ivan.petrov@letters.example.org)
like "$out" '^250' "the same batch again (a retry) is accepted"
is "$(count 'True')" 200 "a retried batch stores no second letter"

# an individual writer's message with an attached message is not a batch
# (client not in range): simulated with the check command
python3 "$LG_ROOT/tests/eml/org/make_batch.py" 3 "$LG_TMP/small.eml"
j=$(gw_ctl "$GW" check --client 192.0.2.1 --from x@y.example --rcpt ivan.petrov@letters.example.org "$LG_TMP/small.eml")
if grep -q '"batch"' <<<"$j"; then fail "mail from outside the range is not a batch"; else ok "mail from outside the range is not a batch"; fi

# the 200-letter batch from outside the range: over [limits] mime_parts
j=$(gw_ctl "$GW" check --client 192.0.2.1 --from x@y.example --rcpt ivan.petrov@letters.example.org "$LG_TMP/batch.eml")
like "$j" '"code" : "554"' "the 200-letter message from anyone else is refused"
like "$j" 'more than 200 MIME parts' "for its MIME parts"
# a submitter recognised by its authenticated domain (known only from the
# headers, read again with the organisations' limit)
cp -p "$GW/lettergate.conf" "$GW/domain.conf"
sed -i -e 's|^networks = .*|domains = org.example|' \
	-e '/^\[notify\]/a authserv_id = mx.letters.example.org' "$GW/domain.conf"
{
	printf 'Authentication-Results: mx.letters.example.org; dkim=pass header.d=org.example; dmarc=pass header.from=org.example\n'
	sed 's/<batch-200@org.example>/<batch-200d@org.example>/' "$LG_TMP/batch.eml"
} >"$LG_TMP/batch-domain.eml"
j=$("$LG_BIN/lettergatectl" -c "$GW/domain.conf" check --client 192.0.2.1 --from batch@org.example \
	--rcpt ivan.petrov@letters.example.org "$LG_TMP/batch-domain.eml")
like "$j" '"org" : "domain:org.example"' "the same batch from an authenticated organisation domain is a batch"
like "$j" '"verdict" : "accept"' "and is accepted"

# over the organisation's quota (250 a day; 200 counted, minus refused):
# the whole next batch is held back with the reset time
python3 "$LG_ROOT/tests/eml/org/make_batch.py" 100 "$LG_TMP/batch2.eml"
sed -i 's/<batch-100@org.example>/<batch-100b@org.example>/' "$LG_TMP/batch2.eml"
out=$(send "$LG_TMP/batch2.eml" oleg.vasin@letters.example.org)
like "$out" '^451' "over the organisation's quota the batch gets 451"
like "$out" '4\.7\.1' "with 4.7.1"
like "$out" 'resets at [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC' "the reply says when the quota resets"
is "$(count 'True')" 200 "nothing of the held-back batch is stored"

if grep -q -e 'Письмо номер' -e 'Сторонник' "$GW/daemon.log"; then
	fail "no letter text or supporter name in the daemon's log"
else
	ok "no letter text or supporter name in the daemon's log"
fi
done_testing
