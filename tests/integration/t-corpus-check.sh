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
# One `check` on many messages prints a JSON line per message as soon as it
# is done (a start of lettergatectl costs 0.1 s, 0.4 s under ASan: one per
# message took most of this test). Two processes at once, each on half of
# the corpus, each writing CHUNK.jsonl, CHUNK.err and CHUNK.rc.
find "$CORPUS" -type f -name '*.eml' -print0 | sort -z >"$OUT/list"
total=$(tr -cd '\0' <"$OUT/list" | wc -c)
export LG_BIN GW OUT
xargs -0 -P 2 -n $(((total + 1) / 2)) bash -c 'k=$(printf "%s" "$1" | sha1sum | cut -c1-16)
	timeout 600 "$LG_BIN/lettergatectl" -c "$GW/lettergate.conf" check \
		--rcpt ivan.petrov@letters.example.org "$@" >"$OUT/$k.jsonl" 2>"$OUT/$k.err"
	echo $? >"$OUT/$k.rc"' _ <"$OUT/list"
# A line per message, "ok VERDICT" or "bad WHY CHUNK": a message without its
# JSON line (the process died on it or before it) is bad.
python3 - "$CORPUS" "$OUT" >"$OUT/results" <<'PY'
import glob, json, os, sys
corpus, out = sys.argv[1], sys.argv[2]
seen, chunk_of, bad_rc = {}, {}, {}
for jl in glob.glob(out + "/*.jsonl"):
    k = os.path.basename(jl)[:-6]
    try:
        rc = open("%s/%s.rc" % (out, k)).read().strip()
    except OSError:
        rc = "missing"
    if rc != "0":
        bad_rc[k] = rc
    for line in open(jl, encoding="utf-8", errors="replace"):
        try:
            d = json.loads(line)
            seen[d["file"]] = (d, k)
        except Exception as e:
            print("bad\tJSON line in %s: %s\t%s" % (k, str(e).replace("\t", " "), k))
for f in open(out + "/list", "rb").read().split(b"\0"):
    if not f:
        continue
    path = f.decode("utf-8", "surrogateescape")
    name = path[len(corpus) + 1:]
    if path not in seen:
        print("bad\tno verdict for %s (a check exited with %s)\t%s"
              % (name, ",".join(sorted(set(bad_rc.values()))) or "0",
                 next(iter(bad_rc), "-")))
        continue
    d, k = seen[path]
    try:
        v = d["verdict"]
        assert v in ("accept", "hold", "reject", "tempfail"), "verdict %r" % v
        assert (v in ("reject", "tempfail")) == ("smtp" in d), "smtp reply with verdict %s" % v
    except Exception as e:
        print("bad\tJSON of %s: %s\t-" % (name, str(e).replace("\t", " ")))
        continue
    print("ok\t%s" % v)
for k, rc in bad_rc.items():
    print("bad\ta check exited with %s\t%s" % (rc, k))
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
