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
# One Python reads every result (a Python start costs a third of a second on
# the suite's machine; one per message took two minutes): a line per message,
# "ok VERDICT" or "bad WHY".
python3 - "$CORPUS" "$OUT" >"$OUT/results" <<'PY'
import hashlib, json, sys
corpus, out = sys.argv[1], sys.argv[2]
for f in open(out + "/list", "rb").read().split(b"\0"):
    if not f:
        continue
    name = f.decode("utf-8", "replace")[len(corpus) + 1:]
    k = hashlib.sha1(f).hexdigest()[:16]
    try:
        rc = open("%s/%s.rc" % (out, k)).read().strip()
    except OSError:
        rc = "missing"
    if rc != "0":
        print("bad\tcheck %s (exit %s)\t%s" % (name, rc, k))
        continue
    try:
        d = json.load(open("%s/%s.json" % (out, k)))
        v = d["verdict"]
        assert v in ("accept", "hold", "reject", "tempfail"), "verdict %r" % v
        assert (v in ("reject", "tempfail")) == ("smtp" in d), "smtp reply with verdict %s" % v
    except Exception as e:
        print("bad\tJSON of %s: %s\t-" % (name, str(e).replace("\t", " ")))
        continue
    print("ok\t%s" % v)
PY
n=0 bad=0
declare -A count=()
while IFS=$'\t' read -r r what k; do
	n=$((n + 1))
	if [ "$r" = ok ]; then
		count[$what]=$((${count[$what]:-0} + 1))
		continue
	fi
	bad=$((bad + 1))
	if [ "$k" != - ]; then
		fail "$what" "$(tail -n 20 "$OUT/$k.err")"
	else
		fail "$what"
	fi
done <"$OUT/results"
note "corpus: $n messages: accept ${count[accept]:-0}, hold ${count[hold]:-0}, reject ${count[reject]:-0}, tempfail ${count[tempfail]:-0}"
is "$bad" 0 "every corpus message gives a verdict"
[ "$n" -ge 200 ] && ok "corpus has $n messages" || fail "corpus has only $n messages"
done_testing
