#!/bin/bash
# t-corpus-check.sh - the whole in-session pipeline (`lettergatectl check`)
# on every message of ../shared/corpus/real: no crash, no sanitizer report,
# valid JSON with a verdict and, when refused, an SMTP code. Prints the
# verdict counts (accept / hold / reject / tempfail).
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_bin lettergatectl
CORPUS=${LG_CORPUS:-$LG_ROOT/../shared/corpus/real}
[ -d "$CORPUS" ] || skip_all "no corpus at $CORPUS"
GW=$(lg_tmpdir gw)
gw_setup "$GW" '[translate]
apertium_url = http://127.0.0.1:9
routes = uk:apertium;be:apertium
on_failure = hold'
OUT=$(lg_tmpdir out)
# Two checks at a time (the suite's machine has two cores): one job per file
# writes NAME.json / NAME.err / NAME.rc, then the results are read in order.
find "$CORPUS" -type f -name '*.eml' -print0 | sort -z >"$OUT/list"
export LG_BIN GW OUT
xargs -0 -P 2 -n 1 bash -c 'f=$1; k=$(printf "%s" "$f" | sha1sum | cut -c1-16)
	timeout 60 "$LG_BIN/lettergatectl" -c "$GW/lettergate.conf" check \
		--rcpt ivan.petrov@letters.example.org "$f" >"$OUT/$k.json" 2>"$OUT/$k.err"
	echo $? >"$OUT/$k.rc"' _ <"$OUT/list"
n=0 bad=0
declare -A count=()
while IFS= read -r -d '' f; do
	n=$((n + 1))
	k=$(printf '%s' "$f" | sha1sum | cut -c1-16)
	j="$OUT/$k.json"
	if [ "$(cat "$OUT/$k.rc" 2>/dev/null)" != 0 ]; then
		bad=$((bad + 1))
		fail "check ${f#"$CORPUS"/}" "$(tail -n 20 "$OUT/$k.err")"
		continue
	fi
	v=$(python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
v=d["verdict"]
assert v in ("accept","hold","reject","tempfail")
assert (v in ("reject","tempfail")) == ("smtp" in d)
print(v)' "$j" 2>"$OUT/$k.perr") || {
		bad=$((bad + 1))
		fail "JSON of ${f#"$CORPUS"/}" "$(cat "$OUT/$k.perr")"
		continue
	}
	count[$v]=$((${count[$v]:-0} + 1))
done <"$OUT/list"
note "corpus: $n messages: accept ${count[accept]:-0}, hold ${count[hold]:-0}, reject ${count[reject]:-0}, tempfail ${count[tempfail]:-0}"
is "$bad" 0 "every corpus message gives a verdict"
[ "$n" -ge 200 ] && ok "corpus has $n messages" || fail "corpus has only $n messages"
done_testing
