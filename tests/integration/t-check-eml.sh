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
after=$(sha256sum "$GW/db/lettergate.db" | cut -d' ' -f1)
is "$after" "$before" "check wrote nothing to the database"
out=$(gw_ctl "$GW" check --rcpt ivan.petrov@letters.example.org - <"$LG_ROOT/tests/eml/check/ru-plain.eml")
like "$out" '"verdict" : "accept"' "check reads the message from standard input"
done_testing
