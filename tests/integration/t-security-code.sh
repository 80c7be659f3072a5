#!/bin/bash
# t-security-code.sh - source checks that keep two security rules true:
#   1. SQL only through prepared statements: no sqlite3_*printf; every
#      sqlite3_exec and the exec/prep wrappers get a string literal (or are
#      the wrapper itself); no printf-built SQL except the allow-listed
#      ones, whose arguments are compile-time constants (checked at their
#      call sites).
#   2. Signatures compared in constant time: no strcmp/memcmp/g_str_equal/
#      g_strcmp0 on anything named like a signature, MAC, HMAC, digest or
#      token; each file that verifies an HMAC uses util_str_equal_ct().
set -u
. "$(dirname "$0")/../lib/common.sh"
need_cmd python3
cd "$LG_ROOT" || exit 1

out=$(python3 - <<'PY'
import re, glob, sys
files = [f for d in ("common", "conf", "parser", "policy", "translate", "store", "deliver",
                     "milter", "ctl") for f in glob.glob(d + "/*.c")]
bad = []
def strip_comments(s):
    return re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), s, flags=re.S)
def line_of(s, i):
    return s.count("\n", 0, i) + 1

# printf-built SQL allowed only here: (file, format start, why)
ALLOW = {
    ("store/store.c", "PRAGMA user_version = %d"),  # integer schema version
    ("store/stats.c", "SELECT min(b.at) - max(a.at) FROM history a INDEXED BY history_at"),  # states: literals, checked below
}
SQL_WORD = re.compile(r'"\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|REPLACE|WITH)\b', re.I)
for f in files:
    s = strip_comments(open(f, encoding="utf-8", errors="replace").read())
    for m in re.finditer(r"\bsqlite3_(v?mprintf|v?snprintf)\s*\(", s):
        bad.append("%s:%d: %s builds SQL text" % (f, line_of(s, m.start()), m.group(0)))
    for m in re.finditer(r"\b(g_strdup_printf|g_string_(append_)?printf|snprintf|sprintf|g_strconcat)\s*\(\s*((?:[^;]|\n)*?);", s):
        args = m.group(3)
        sm = SQL_WORD.search(args)
        if not sm:
            continue
        fmt = re.search(r'"([^"]*)"', args).group(1)
        if not any(f == af and fmt.startswith(ap) for af, ap in ALLOW):
            bad.append("%s:%d: SQL built with %s: %s" % (f, line_of(s, m.start()), m.group(1), fmt[:60]))
    # sqlite3_exec / wrappers: the SQL argument must be a literal, except
    # inside the wrappers themselves (their parameter is named sql).
    for m in re.finditer(r"\b(sqlite3_exec|sqlite3_prepare(?:_v2|_v3)?|exec|prep|db_exec)\s*\(\s*[^,()]+,\s*", s):
        rest = s[m.end():m.end() + 200].lstrip()
        if rest.startswith('"') or re.match(r"[A-Z_]+\b", rest) or rest.startswith("const "):
            continue  # literal, macro of literals, or the wrapper's own definition
        if re.match(r"\w+\s*\?\s*\"", rest) or re.match(r"migrations\[", rest):
            continue  # a choice between literals; the static table of schema migrations
        if f == "store/store.c" and re.match(r"set\b", rest):
            continue  # the allow-listed PRAGMA user_version = %d
        ident = re.match(r"[A-Za-z_][A-Za-z0-9_]*", rest)
        if ident and ident.group(0) == "sql":
            continue  # wrapper parameter or a local holding a literal / allow-listed format
        bad.append("%s:%d: %s( with non-literal SQL: %s" % (f, line_of(s, m.start()), m.group(1), rest[:40].replace("\n", " ")))
# the allow-listed stats query: every latency_one() call passes literals
s = open("store/stats.c").read()
for m in re.finditer(r"latency_one\(db, q, (\"[^\"]*\"), (\"[^\"]*\"|\w+), (\"[^\"]*\"|\w+), err\)", s):
    if not (m.group(2).startswith('"') and m.group(3).startswith('"')):
        bad.append("store/stats.c: latency_one() called with a non-literal state")
if not re.search(r"latency_one\(db, q, \"", s):
    bad.append("store/stats.c: latency_one() call sites not found (update this test)")

# constant-time comparisons
NAMES = r"\w*(sig|mac|hmac|digest|token|signature)\w*"
CMP = re.compile(r"\b(strcmp|strncmp|memcmp|g_str_equal|g_strcmp0|strcasecmp|g_ascii_strcasecmp)\s*\(([^;]*)\)", re.I)
for f in files:
    if f == "policy/sniff.c":
        continue  # file-type magic "signatures", not cryptographic ones
    s = strip_comments(open(f, encoding="utf-8", errors="replace").read())
    for m in CMP.finditer(s):
        args = re.sub(r'"[^"]*"', '""', m.group(2))
        if re.search(r"\b" + NAMES + r"\b", args, re.I):
            bad.append("%s:%d: %s on a signature: %s" % (f, line_of(s, m.start()), m.group(1), m.group(2)[:60]))
    if "util_hmac_sha256_hex" in s and f != "common/util.c":
        verifies = re.search(r"(verify|check|valid)\w*\s*\(", s, re.I) or "status" in f
        if verifies and "util_str_equal_ct" not in s and f not in ("deliver/http.c", "deliver/partner.c"):
            bad.append("%s: computes an HMAC to check but never calls util_str_equal_ct" % f)
for line in bad:
    print(line)
PY
)
if [[ -z $out ]]; then
	ok "SQL only through prepared statements with literal SQL (printf-built SQL only from constants)"
	ok "signature comparisons only through util_str_equal_ct"
else
	fail "SQL and signature comparison rules" "$out"
fi
# util_str_equal_ct is used where signatures are verified
for f in deliver/status.c deliver/notify.c; do
	if grep -q 'util_str_equal_ct' "$f"; then ok "$f compares signatures with util_str_equal_ct"; else fail "$f compares signatures with util_str_equal_ct"; fi
done
grep -q 'CRYPTO_memcmp' common/util.c && ok "util_str_equal_ct uses CRYPTO_memcmp" || fail "util_str_equal_ct uses CRYPTO_memcmp"
done_testing
