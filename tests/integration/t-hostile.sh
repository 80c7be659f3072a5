#!/bin/bash
# t-hostile.sh - hostile mail, each case with its expected reply, under
# bounded memory and time. Messages are made during the run by
# tests/lib/hostile_mail.py (nothing big is committed).
#
# Part 1, `lettergatectl check` (the whole in-session pipeline) on every
# case, under /usr/bin/time: verdict and SMTP code asserted, peak RSS under
# HOSTILE_RSS_MB (default 300 MB; ASan builds x3) and wall time under
# HOSTILE_SECS (default 20 s; ASan x3). One "# case rss time reply" note per
# case for the report.
# Part 2, a representative few through the real lettergated behind a real
# Postfix (skipped without Postfix/swaks): the reply the sending MTA sees,
# and the daemon still alive and answering afterwards.
# lg-test: exclusive (wall-time and memory bound per case)
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd python3 /usr/bin/time
need_bin lettergatectl
GEN=$LG_ROOT/tests/lib/hostile_mail.py
RSS_MB=${HOSTILE_RSS_MB:-300}
SECS=${HOSTILE_SECS:-20}
if [[ $(basename "$LG_BIN") == *san* ]]; then
	RSS_MB=$((RSS_MB * 3))
	SECS=$((SECS * 3))
fi
RCPT=ivan.petrov@letters.example.org

GW=$(lg_tmpdir gw)
gw_setup "$GW" $'[quota]\nduplicate_days = 0'
# The same gateway with room for a 30 MB video, so that it is parsed and
# dropped rather than refused by size.
GWBIG=$(lg_tmpdir gwbig)
gw_setup "$GWBIG" $'[limits]\nmessage_bytes = 67108864'
M=$(lg_tmpdir msgs)

JPEG=$M/small.jpg
if command -v vips >/dev/null 2>&1; then
	vips black "$JPEG" 64 64 >/dev/null 2>&1
fi

# hcheck CASE DIR VERDICT CODE [GEN ARGS...] -> $J (JSON file) set
hcheck() {
	local c=$1 dir=$2 want_v=$3 want_code=$4 eml json rss secs rc v code
	shift 4
	eml=$M/$c.eml
	J=$M/$c.json
	if ! python3 "$GEN" "${c%%.*}" "$eml" "$@"; then
		fail "$c: message generated"
		return 1
	fi
	/usr/bin/time -f '%M %e' -o "$M/$c.time" timeout --kill-after=5 $((SECS + 10)) \
		"$LG_BIN/lettergatectl" -c "$dir/lettergate.conf" check --rcpt "$RCPT" "$eml" \
		>"$J" 2>"$M/$c.err"
	rc=$?
	read -r rss secs < <(tail -n1 "$M/$c.time")
	rss=$((${rss:-0} / 1024))
	# One Python for the verdict, the code and the reply's first line.
	local text=""
	{ read -r v code && IFS= read -r text; } < <(python3 - "$J" <<-'EOF' 2>/dev/null
		import json, sys
		d = json.load(open(sys.argv[1]))
		print(d["verdict"], d.get("smtp", {}).get("code", "250"))
		print((d.get("smtp", {}).get("text") or [""])[0][:90])
	EOF
	)
	note "$c: $(stat -c %s "$eml") bytes, rss ${rss} MB, ${secs} s, $v ${code:-?} $text"
	if ((rc != 0)); then
		fail "$c: lettergatectl check exits 0" "exit $rc" "$(tail -n 20 "$M/$c.err")"
		return 1
	fi
	is "$v $code" "$want_v $want_code" "$c: verdict $want_v, SMTP $want_code"
	if ((rss < RSS_MB)); then ok "$c: peak RSS ${rss} MB < ${RSS_MB} MB"; else fail "$c: peak RSS ${rss} MB < ${RSS_MB} MB"; fi
	if awk -v s="$secs" -v m="$SECS" 'BEGIN{exit !(s < m)}'; then
		ok "$c: ${secs} s < ${SECS} s"
	else
		fail "$c: ${secs} s < ${SECS} s"
	fi
	rm -f "$eml"
}

# dropped JSON -> "name|reason" lines
dropped() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for l in d["letters"]:
    for x in l.get("dropped", []): print(x["name"] + "|" + x["reason"])' "$1"
}
reply() {
	python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1])).get("smtp", {}).get("text", [])))' "$1"
}
text_ru() {
	python3 -c 'import json,sys; print("".join(l.get("text_ru","") for l in json.load(open(sys.argv[1]))["letters"]))' "$1"
}

note "part 1: lettergatectl check"
hcheck many_headers "$GW" reject 552
hcheck long_header "$GW" accept 250
like "$(text_ru "$J")" 'сирень' "long_header: the letter text is read"
hcheck nested "$GW" reject 554
hcheck nested_rfc822 "$GW" reject 554
hcheck parts "$GW" reject 554
like "$(cat "$J")" 'MIME parts' "parts: the reply names the part limit"
hcheck boundary_conflict "$GW" reject 554
like "$(cat "$J")" 'conflicting MIME boundary' "boundary_conflict: the reply says why"
hcheck gmime165 "$GW" reject 554
like "$(cat "$J")" 'parameter name' "gmime165: refused before GMime loops"
hcheck gmime165_disp "$GW" reject 554
hcheck nul "$GW" accept 250
like "$(text_ru "$J")" 'Казани' "nul: NUL bytes dropped, text kept"
hcheck bad_utf8 "$GW" accept 250
if python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8", errors="strict"))' "$J" 2>/dev/null; then
	ok "bad_utf8: the verdict is valid UTF-8 JSON"
else
	fail "bad_utf8: the verdict is valid UTF-8 JSON"
fi
hcheck video "$GW" reject 552
hcheck video.big "$GWBIG" accept 250
like "$(dropped "$J")" 'holiday\.mp4\|.*[Vv]ideo' "video.big: the 30 MB video is dropped with a reason"
# Noise as an HTML part: millions of characters once decoded, refused as too
# long within the time bound (an ISO-2022-JP label made it minutes in
# language identification, a UTF-8 one 17 s in Unicode normalisation)
hcheck noise_html.jp "$GW" reject 550 --mb 3 --cs iso-2022-jp
like "$(reply "$J")" 'too long' "noise_html.jp: refused as too long"
hcheck noise_html.utf8 "$GW" reject 550 --mb 3 --cs utf-8
like "$(reply "$J")" 'too long' "noise_html.utf8: refused as too long"
hcheck zipbomb "$GW" accept 250 --n 1
like "$(dropped "$J")" 'photos\.zip\|.*[Aa]rchive' "zipbomb: the archive is dropped unopened"
hcheck png_bomb "$GW" accept 250
like "$(dropped "$J")" 'photo\.png\|.*30000 x 30000' "png_bomb: dropped from its header"
if [[ -s $JPEG ]]; then
	hcheck jpeg_bomb "$GW" accept 250 --jpeg "$JPEG"
	like "$(dropped "$J")" 'photo\.jpg\|.*60000 x 60000' "jpeg_bomb: dropped from its header"
else
	note "vips not installed: no JPEG bomb"
fi

# ---- part 2: the real daemon behind Postfix ----
if ! command -v swaks >/dev/null 2>&1 || [[ ! -x /usr/sbin/postfix ]] || [[ ! -x $LG_BIN/lettergated ]]; then
	note "part 2 skipped: postfix, swaks or lettergated missing"
	done_testing
fi
. "$LG_ROOT/tests/lib/postfix.sh"
note "part 2: lettergated behind Postfix"
PF=$(lg_tmpdir pf)
gw_pf_start "$GW" "$PF" letters.example.org

smtp_send() { # CASE [GEN ARGS...]
	local c=$1 eml=$M/smtp-$1.eml
	shift
	python3 "$GEN" "$c" "$eml" "$@" || return 1
	timeout 60 swaks --server "127.0.0.1:$port" --from anna.belova@example.net --to "$RCPT" \
		--data "$eml" --timeout 50 2>&1
}
daemon_rss() { # KB of the daemon's worker (the child when it forks)
	local pid
	pid=$(pgrep -P "$(cat "$GW/pid")" | head -n1)
	[[ -n $pid ]] || pid=$(cat "$GW/pid")
	awk '/VmHWM/{print $2}' "/proc/$pid/status" 2>/dev/null
}

for spec in "gmime165 554 5.6.0" "boundary_conflict 554 5.6.0" "nested 554 5.6.0" \
	"parts 554 5.6.0" "png_bomb 250 2.0.0" "zipbomb 250 2.0.0" "many_headers 552 5.3.4" "video 552 5.3.4"; do
	read -r c code dsn <<<"$spec"
	t0=$(date +%s%N)
	args=()
	[[ $c == zipbomb ]] && args=(--n 1)
	out=$(smtp_send "$c" "${args[@]}")
	ms=$((($(date +%s%N) - t0) / 1000000))
	note "smtp $c: ${ms} ms, daemon peak RSS $(daemon_rss) KB"
	reply=$(grep -E '^<[-*~]+ +[0-9]{3}' <<<"$out" | tail -n 2 | head -n 1)
	like "$reply" "^<[-*~]+ +${code}[ -]${dsn//./\\.}" "smtp $c: Postfix answers $code $dsn"
done
out=$(smtp_send long_header)
reply=$(grep -E '^<[-*~]+ +[0-9]{3}' <<<"$out" | tail -n 2 | head -n 1)
like "$reply" '^<[-*~]+ +250 ' "smtp long_header: accepted"

# Still alive and answering after all that.
body='Здравствуйте, Иван! Всё хорошо, ждём вас.'
out=$(timeout 60 swaks --server "127.0.0.1:$port" --from anna.belova@example.net --to "$RCPT" \
	--header 'Subject: Письмо' --header 'Content-Type: text/plain; charset=utf-8' --body "$body" 2>&1)
reply=$(grep -E '^<[-*~]+ +[0-9]{3}' <<<"$out" | tail -n 2 | head -n 1)
like "$reply" '^<[-*~]+ +250 ' "the daemon still answers after the hostile messages"
rss=$(daemon_rss)
if [[ -n $rss ]] && ((rss / 1024 < RSS_MB)); then
	ok "daemon peak RSS $((rss / 1024)) MB < ${RSS_MB} MB"
else
	fail "daemon peak RSS ${rss:-?} KB < ${RSS_MB} MB"
fi
if grep -q -e 'сирень' -e 'Казани' -e 'Скрытый' "$GW/daemon.log"; then
	fail "no letter text in the daemon's log"
else
	ok "no letter text in the daemon's log"
fi
done_testing
