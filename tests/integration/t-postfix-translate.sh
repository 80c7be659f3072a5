#!/bin/bash
# t-postfix-translate.sh - Ukrainian and Belarusian letters come out Russian
# end to end: swaks -> real Postfix -> lettergated -> real Apertium APy ->
# spool. The Russian text says it was machine-translated; the original is
# kept for moderators; an English letter with no backend for it is held for
# a human translator.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"
. "$LG_ROOT/tests/lib/apy.sh"

need_cmd swaks /usr/sbin/postfix apertium-apy
need_bin lettergated lettergatectl

AP=$(lg_tmpdir apy)
apy_start "$AP" || { fail "APy starts"; done_testing; }
on_exit apy_stop "$AP"

GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
gw_setup "$GW" "[translate]
apertium_url = $APY_URL
routes = uk:apertium;be:apertium
on_failure = tempfail"
gw_pf_start "$GW" "$PF" letters.example.org

send() { # TO MSGID BODY
	PF_SUBJECT='Лист' PF_TIMEOUT=60 pf_send "$port" "$2@example.net" "$1" "$2" "$3"
}

spool_json_with() { # WORD: the spool JSON holding WORD
	grep -l -- "$1" "$GW"/out/*.json 2>/dev/null | head -n1
}

UK='Привіт, Іван! Як справи? Ми дуже сумуємо за тобою і чекаємо на твоє повернення додому. Наш кіт знову спить на твоєму кріслі.'
BE='Прывітанне, Іван! Як ты сябе адчуваеш? Мы ўсе вельмі чакаем цябе дадому. Надвор’е ў нас добрае, ідзе снег.'

out=$(send ivan.petrov@letters.example.org uk-1 "$UK")
like "$out" '250 2\.0\.0' "Ukrainian letter accepted"
out=$(send maria.sokolova@letters.example.org be-1 "$BE")
like "$out" '250 2\.0\.0' "Belarusian letter accepted"

if wait_until 30 bash -c "[ \$(ls '$GW'/out/*.json 2>/dev/null | wc -l) -ge 2 ]"; then
	ok "both letters reach the spool"
else
	fail "both letters reach the spool" "$(tail -n 20 "$GW/daemon.log")"
fi
for lang in uk be; do
	f=$(grep -l "\"lang\" : \"$lang\"" "$GW"/out/*.json | head -n1)
	if [ -z "$f" ]; then
		fail "$lang letter in the spool"
		continue
	fi
	text=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["text"])' "$f")
	like "$text" 'Привет|Иван' "$lang letter: greeting in Russian"
	like "$text" 'Как|как' "$lang letter: Russian words in the Russian text"
	if grep -q -e 'Як ' -e 'Прывітанне' -e 'Привіт' <<<"$text"; then
		fail "$lang letter: the greeting is translated" "$text"
	else
		ok "$lang letter: the greeting is translated"
	fi
	if grep -q '#' <<<"$text"; then
		fail "$lang letter: no Apertium marks left" "$text"
	else
		ok "$lang letter: no Apertium marks left"
	fi
	like "$text" 'переведено' "$lang letter: machine-translation notice"
	orig=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["original"]["text"])' "$f")
	like "$orig" 'Іван' "$lang letter: original kept"
done
uk_json=$(grep -l '"lang" : "uk"' "$GW"/out/*.json | head -n1)
[ -n "$uk_json" ] && like "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["text"])' "$uk_json")" 'украинского' \
	"notice names Ukrainian"

# English has no route here: held for a human translator, accepted by SMTP.
out=$(send oleg.vasin@letters.example.org en-1 'Dear Oleg, we think of you every day and we are waiting for you. Spring has come early this year.')
like "$out" '250 2\.0\.0' "English letter without a backend accepted"
sleep 0.5
held=$(gw_ctl "$GW" queue list --json | python3 -c 'import json,sys; print(" ".join(l["lang"] for l in json.load(sys.stdin)))')
like "$held" 'en' "English letter held for a human translator"

# The translator down: 451 4.3.0, the sender's MTA retries.
apy_stop "$AP"
out=$(send ivan.petrov@letters.example.org uk-2 'Привіт ще раз, Іване! Ми надіслали тобі книжки та теплі шкарпетки.')
like "$out" '451 4\.3\.0' "translator down: 451 4.3.0"
done_testing
