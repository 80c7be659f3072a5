#!/bin/bash
# tests/integration/t-translate-apertium.sh - Ukrainian and Belarusian
# letters come out Russian through the real Apertium APy, started here on
# 127.0.0.1 (free port) with the ukr-rus fix. Needs build/tools/bench_translate.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${LG_BUILD:-build}
TOOL=$BUILD/tools/bench_translate
. tests/lib/apy.sh
T=$(mktemp -d)
trap 'apy_stop "$T/apy"; rm -rf "$T"' EXIT
fail=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }

[ -x "$TOOL" ] || { echo "not ok - $TOOL missing (make $TOOL)"; exit 1; }
if ! apy_start "$T/apy"; then
	echo "not ok - APy did not start"
	exit 1
fi
ok "APy answers on $APY_URL"
pid1=$(cat "$T/apy/apy.pid")
if apy_start "$T/apy" && [ "$(cat "$T/apy/apy.pid")" = "$pid1" ]; then
	ok "apy_start is idempotent (same APy reused)"
else
	notok "apy_start started a second APy"
fi

cat >"$T/lg.conf" <<CONF
[translate]
apertium_url = $APY_URL
routes = uk:apertium;be:apertium
timeout_ms = 10000
CONF

field() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# Russian-only letters: no і ї є ґ ў left where Apertium knew the words
check_ru() { # name json expected-lang must-contain
	local name=$1 out=$2 lang=$3 want=$4 text
	[ "$(field status <<<"$out")" = ok ] || { notok "$name: status $(field status <<<"$out") $(field error <<<"$out")"; return; }
	[ "$(field lang <<<"$out")" = "$lang" ] || { notok "$name: lang $(field lang <<<"$out")"; return; }
	[ "$(field translated <<<"$out")" = True ] || { notok "$name: not translated"; return; }
	[ "$(field backend <<<"$out")" = apertium ] || { notok "$name: backend $(field backend <<<"$out")"; return; }
	text=$(field text_ru <<<"$out")
	grep -q -- "$want" <<<"$text" || { notok "$name: \"$want\" missing in: $text"; return; }
	ok "$name"
}

UK=$'Привіт, як справи?\n\nМи всі дуже чекаємо на тебе вдома. Пиши мені на olena@example.org.\n\n- перше\n- друге\n'
out=$(printf '%s' "$UK" | "$TOOL" -c "$T/lg.conf" -1 -)
check_ru "Ukrainian -> Russian" "$out" uk "Привет, как дела?"
text=$(field text_ru <<<"$out")
grep -q "olena@example.org" <<<"$text" && ok "email kept through masking" || notok "email lost: $text"
[ "$(printf '%s' "$text" | grep -c '^- ')" = 2 ] && ok "list survives" || notok "list lost: $text"
[ "$(printf '%s\n' "$text" | grep -c '^$')" -ge 2 ] && ok "paragraphs survive" || notok "paragraphs lost: $text"

BE=$'Прывітанне! Як ты? Мы ўсе думаем пра цябе кожны дзень.\n\nТрымайся, мы з табой.\n'
out=$(printf '%s' "$BE" | "$TOOL" -c "$T/lg.conf" -1 -)
check_ru "Belarusian -> Russian" "$out" be "Как ты?"

RU=$'Привет! Мы все очень ждём тебя домой и думаем о тебе каждый день.\n'
out=$(printf '%s' "$RU" | "$TOOL" -c "$T/lg.conf" -1 -)
[ "$(field status <<<"$out")" = ok ] && [ "$(field translated <<<"$out")" = False ] &&
	ok "Russian passes untranslated" || notok "Russian: $out"

# A long letter: split into several requests and joined back in order
LONG=$(for i in $(seq 1 60); do printf 'Абзац %d. Ми всі дуже сумуємо за тобою і щодня згадуємо наші прогулянки містом. Весна цього року прийшла рано.\n\n' "$i"; done)
out=$(printf '%s' "$LONG" | "$TOOL" -c "$T/lg.conf" -1 -)
text=$(field text_ru <<<"$out")
if [ "$(field status <<<"$out")" = ok ] && grep -q "^Абзац 60\. " <<<"$text" &&
	[ "$(grep -c '^Абзац' <<<"$text")" = 60 ]; then
	ok "long letter split and joined (60 paragraphs in order)"
else
	notok "long letter: $(field status <<<"$out") $(field error <<<"$out")"
fi

# APy gone: temporary failure
apy_stop "$T/apy"
out=$(printf '%s' "$UK" | "$TOOL" -c "$T/lg.conf" -1 -)
[ "$(field status <<<"$out")" = unavailable ] && ok "APy down -> unavailable" || notok "APy down: $out"

echo "1..$n"
exit $fail
