#!/bin/bash
# tests/integration/t-translate-fallback.sh - the LibreTranslate and DeepL
# adapters against tests/lib/fake_mt.py (their published formats): success,
# 429, DeepL's 456, 5xx, bad answers and timeouts give way to the next
# backend; all down -> unavailable. Emails and phones never reach them.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${LG_BUILD:-build}
TOOL=$BUILD/tools/bench_translate
T=$(mktemp -d)
FPID=
trap '[ -n "$FPID" ] && kill "$FPID" 2>/dev/null; rm -rf "$T"' EXIT
fail=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }
[ -x "$TOOL" ] || { echo "not ok - $TOOL missing"; exit 1; }

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
/usr/bin/python3 tests/lib/fake_mt.py --port "$PORT" --key sekrit --log "$T/requests.log" >"$T/fake.out" 2>&1 &
FPID=$!
for i in $(seq 1 50); do grep -q ready "$T/fake.out" 2>/dev/null && break; sleep 0.1; done
U="http://127.0.0.1:$PORT"
mode() { curl -fsS "$U/_mode?$1" >/dev/null; }

umask 077
echo sekrit >"$T/deepl.key"
echo sekrit >"$T/libre.key"
cat >"$T/lg.conf" <<CONF
[translate]
apertium_url =
deepl_url = $U/v2/translate
deepl_key_file = $T/deepl.key
libretranslate_url = $U
libretranslate_key_file = $T/libre.key
routes = *:deepl,libretranslate
timeout_ms = 1500
CONF

field() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
EN=$'Dear Ivan,\n\nWe think of you every day and we are waiting for you to come home. Write to anna@example.org or call +1 555 123 4567.\n\n- first\n- second\n'
run() { printf '%s' "$EN" | "$TOOL" -c "$T/lg.conf" -1 - 2>>"$T/stderr"; }

expect() { # name want-status want-backend
	local out
	out=$(run)
	if [ "$(field status <<<"$out")" = "$2" ] && [ "$(field backend <<<"$out")" = "$3" ]; then
		ok "$1"
	else
		notok "$1: $out"
	fi
	LAST=$out
}

mode "deepl=ok&libre=ok"
expect "deepl answers" ok deepl
text=$(field text_ru <<<"$LAST")
grep -q "^RU(We think of you every day" <<<"$text" && grep -q "anna@example.org" <<<"$text" &&
	grep -q "+1 555 123 4567" <<<"$text" && grep -q "^- RU(first)" <<<"$text" &&
	ok "deepl: text, list and masked parts restored" || notok "deepl text: $text"
grep -q '"auth": "DeepL-Auth-Key sekrit"' "$T/requests.log" && ok "deepl: DeepL-Auth-Key header" ||
	notok "deepl: no auth header"

for m in 429 456 500 503 badjson; do
	mode "deepl=$m&libre=ok"
	expect "deepl $m -> libretranslate" ok libretranslate
done
grep '"api": "libre"' "$T/requests.log" | grep -q 'api_key' && ok "libretranslate: api_key sent" ||
	notok "libretranslate: no api_key"

mode "deepl=hang&libre=ok"
start=$(date +%s%N)
expect "deepl timeout -> libretranslate" ok libretranslate
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -lt 6000 ] && ok "timeout honoured (${ms} ms, timeout_ms 1500)" || notok "timeout took ${ms} ms"

for m in 429 500 503 hang; do
	mode "deepl=456&libre=$m"
	expect "deepl 456, libretranslate $m -> unavailable" unavailable ""
done

mode "deepl=ok&libre=ok"
if grep -q -e 'anna@example.org' -e '555' -e 'anna%40example' "$T/requests.log"; then
	notok "an email or phone number reached a translator"
else
	ok "no email or phone number ever sent"
fi

# Russian letters and a Russian letter with an English quotation
RU=$'Привет, Иван! Мы все очень ждём тебя домой и думаем о тебе каждый день. Вчера вспоминали, как ты читал нам вслух, и решили прислать тебе одну цитату.\n\nHope is being able to see that there is light despite all of the darkness around us.\n\nОбнимаем!\n'
out=$(printf '%s' "$RU" | "$TOOL" -c "$T/lg.conf" -1 -)
text=$(field text_ru <<<"$out")
if [ "$(field lang <<<"$out")" = ru ] && [ "$(field from <<<"$out")" = en ] &&
	grep -q "^Привет, Иван!" <<<"$text" && grep -q "^RU(Hope is being" <<<"$text"; then
	ok "mixed letter: only the English quotation translated"
else
	notok "mixed letter: $out"
fi

echo "1..$n"
exit $fail
