#!/bin/bash
# t-check-eml.sh - `lettergatectl check` on tests/eml/check/*.eml: each
# NAME.eml with its recipients in NAME.args gives JSON that contains
# NAME.expect.json (tests/lib/json_subset.py: objects by key, lists by any
# element, "~regex" strings, "!absent" keys). check stores nothing: the
# database is unchanged afterwards.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_bin lettergatectl
GW=$(lg_tmpdir gw)
gw_setup "$GW" '[limits]
header_bytes = 4K
[translate]
apertium_url = http://127.0.0.1:9
routes = uk:apertium;be:apertium
on_failure = tempfail
[quota]
writer_day = 20
writer_prisoner_day = 3'
before=$(sha256sum "$GW/db/lettergate.db" | cut -d' ' -f1)
OUT=$(lg_tmpdir out)
for eml in "$LG_ROOT"/tests/eml/check/*.eml; do
	name=$(basename "$eml" .eml)
	args=$(cat "${eml%.eml}.args")
	# shellcheck disable=SC2086
	if ! gw_ctl "$GW" check $args "$eml" >"$OUT/$name.json" 2>"$OUT/$name.err"; then
		fail "$name: check runs" "$(cat "$OUT/$name.err")"
		continue
	fi
	if why=$(python3 "$LG_ROOT/tests/lib/json_subset.py" "${eml%.eml}.expect.json" "$OUT/$name.json"); then
		ok "$name"
	else
		fail "$name" "$why" "$(head -c 3000 "$OUT/$name.json")"
	fi
done
# A refusal never reads as a letter kept for review: no line of any
# refusal above promises a moderator, and the closing line of a refusal by the
# sum of scores comes only when no rule refused the letter by itself.
why=$(python3 - "$OUT" <<'PY'
import glob, json, re, sys
bad = []
for p in sorted(glob.glob(sys.argv[1] + "/*.json")):
    try:
        d = json.load(open(p, encoding="utf-8"))
    except ValueError:
        continue
    lines = (d.get("smtp") or {}).get("text", [])
    for t in lines:
        if re.search(r"(?i)moderator will|will review|проверит модератор|проверит переводчик", t):
            bad.append("%s: %s" % (p.rsplit("/", 1)[1], t[:80]))
    if p.endswith("/forced-and-held.json") and len(lines) != 2:
        bad.append("forced-and-held: %d lines, not 2" % len(lines))
print("; ".join(bad))
PY
)
is "$why" "" "no refusal says the letter waits for a moderator; a forced refusal has no score line"
after=$(sha256sum "$GW/db/lettergate.db" | cut -d' ' -f1)
is "$after" "$before" "check wrote nothing to the database"
out=$(gw_ctl "$GW" check --rcpt ivan.petrov@letters.example.org - <"$LG_ROOT/tests/eml/check/ru-plain.eml")
like "$out" '"verdict" : "accept"' "check reads the message from standard input"

# Several messages: a JSON line each, in order, with its file first; a file
# that cannot be read is named on stderr, the others are still checked, and
# the exit status is 1.
E=$LG_ROOT/tests/eml/check
gw_ctl "$GW" check --rcpt ivan.petrov@letters.example.org "$E/ru-plain.eml" \
	"$LG_TMP/no-such.eml" "$E/lgbt.eml" >"$OUT/many.jsonl" 2>"$OUT/many.err"
is "$?" 1 "check on several messages exits 1 when one cannot be read"
like "$(cat "$OUT/many.err")" 'no-such\.eml' "the unreadable file is named on stderr"
got=$(python3 - "$OUT/many.jsonl" <<'PY'
import json, os, sys
print(" ".join("%s:%s" % (os.path.basename(d["file"]), d["verdict"])
               for d in map(json.loads, open(sys.argv[1]))))
PY
)
is "$got" "ru-plain.eml:accept lgbt.eml:$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' "$OUT/lgbt.json")" \
	"one JSON line per readable message, in order, the same verdict as alone"

# Over [limits] message_bytes on standard input: the gateway's 552 answer.
cp -p "$GW/lettergate.conf" "$GW/small.conf"
sed -i '/^\[limits\]/a message_bytes = 100K' "$GW/small.conf"
head -c 300000 /dev/zero | tr '\0' 'a' | "$LG_BIN/lettergatectl" -c "$GW/small.conf" check \
	--rcpt ivan.petrov@letters.example.org - >"$OUT/big.json" 2>&1
like "$(cat "$OUT/big.json")" '"code" : "552"' "a message over the size limit on standard input gets 552"
done_testing
