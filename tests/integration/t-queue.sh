#!/bin/bash
# t-queue.sh - moderation through lettergatectl on letters that came through
# a real Postfix: queue list (age, prisoner, language, categories, score),
# queue show (original, Russian, findings with spans, history), edit,
# approve (delivered to the spool), reject --reason (the reason reaches the
# writer by mail); every action recorded with who and when.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd swaks /usr/sbin/postfix
need_bin lettergated lettergatectl

GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
MAIL=$(lg_tmpdir mail)
chmod 1777 "$MAIL"
gw_setup "$GW" "[notify]
enabled = true
from = letters@letters.example.org
trusted_writers = example.net
sendmail = /bin/sh -c \"cat > \$(mktemp $MAIL/n.XXXXXX)\"
"
gw_pf_start "$GW" "$PF" letters.example.org

send() { # TO ID TEXT
	PF_SUBJECT=Letter pf_send "$port" anna.belova@example.net "$1" "$2" "$3" \
		--header 'From: Anna Belova <anna.belova@example.net>'
}
EN='Dear Ivan, we think of you every day. Spring came early this year and the lilac is in bloom in our garden. We are waiting for you at home.'
out=$(send ivan.petrov@letters.example.org m1 "$EN")
like "$out" '250 2\.0\.0' "an English letter is accepted (held for a translator)"
out=$(send maria.sokolova@letters.example.org m2 "Dear Maria, a warm hello from Kazan. Our cat had kittens and the children are happy. We hope you are well and strong.")
like "$out" '250 2\.0\.0' "a second English letter is accepted"

q=$(gw_ctl "$GW" queue list --json)
is "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$q")" 2 "two letters in the moderation queue"
like "$q" '"lang" : "en"' "queue list shows the language"
like "$q" '"categories" : "language"' "queue list shows the categories"
like "$q" '"age_seconds"' "queue list shows the age"
like "$q" '"score"' "queue list shows the score"
text=$(gw_ctl "$GW" queue list)
like "$text" 'held +ivan\.petrov +en' "text listing: state, prisoner, language"

id1=$(python3 -c 'import json,sys; print([l["id"] for l in json.load(sys.stdin) if l["prisoner"]=="ivan.petrov"][0])' <<<"$q")
id2=$(python3 -c 'import json,sys; print([l["id"] for l in json.load(sys.stdin) if l["prisoner"]=="maria.sokolova"][0])' <<<"$q")
show=$(gw_ctl "$GW" queue show "$id1")
like "$show" 'finding +language/needs-translator hold' "queue show lists the findings"
like "$show" 'lilac is in bloom' "queue show has the original"
like "$show" 'history .* received +by gateway' "queue show has the history"

out=$(gw_ctl "$GW" queue approve "$id1" --as vera 2>&1)
like "$out" 'no Russian text yet' "a letter without Russian text cannot be approved"
echo 'Дорогой Иван, мы думаем о вас каждый день. Весна пришла рано, в саду цветёт сирень.' >"$LG_TMP/ru.txt"
out=$(gw_ctl "$GW" queue edit "$id1" --file "$LG_TMP/ru.txt" --as vera)
like "$out" 'Russian text replaced' "queue edit replaces the Russian text"
out=$(gw_ctl "$GW" queue approve "$id1" --as vera)
like "$out" "approved by vera" "queue approve"
if wait_until 20 test -f "$GW/out/$id1.json"; then
	ok "the approved letter reaches the spool"
	like "$(cat "$GW/out/$id1.json")" 'цветёт сирень' "with the moderator's Russian text"
else
	fail "the approved letter reaches the spool" "$(tail -n 20 "$GW/daemon.log")"
fi
out=$(gw_ctl "$GW" queue reject "$id2" 2>&1)
like "$out" 'needs --reason' "reject without a reason is refused"
out=$(gw_ctl "$GW" queue reject "$id2" --reason "Please write about something else: this topic endangers the prisoner." --as oleg)
like "$out" 'rejected by oleg' "queue reject"
# finds the notification mentioning TEXT (bodies are MIME-encoded); prints its To
find_mail() {
	python3 - "$MAIL" "$1" <<'PY'
import email, email.policy, glob, sys
for path in glob.glob(sys.argv[1] + "/n.*"):
    try:
        m = email.message_from_bytes(open(path, "rb").read(), policy=email.policy.default)
    except OSError:
        continue
    text = "".join(p.get_content() for p in m.walk() if p.get_content_maintype() == "text")
    if sys.argv[2] in text:
        print("To:", m["To"])
        sys.exit(0)
sys.exit(1)
PY
}
if wait_until 10 find_mail 'endangers the prisoner'; then
	ok "the reason reaches the writer"
	like "$(find_mail 'endangers the prisoner')" 'To: .*anna\.belova@example\.net' "addressed to the writer"
else
	fail "the reason reaches the writer" "$(ls -la "$MAIL"; tail -n 20 "$GW/daemon.log")"
fi
h=$(gw_ctl "$GW" letters show "$id1" --json)
like "$h" '"state" : "edited",[^}]*"actor" : "vera"' "the edit is recorded with who"
like "$h" '"state" : "approved",[^}]*"actor" : "vera",[^}]*"at" : [0-9]+' "the approval is recorded with who and when"
h=$(gw_ctl "$GW" letters show "$id2" --json)
like "$h" '"state" : "rejected",[^}]*"actor" : "oleg",[^}]*"reason" : "Please write' "the rejection is recorded with who and why"
out=$(gw_ctl "$GW" queue approve "$id2" 2>&1)
like "$out" 'is rejected, not held' "a rejected letter cannot be approved"
done_testing
