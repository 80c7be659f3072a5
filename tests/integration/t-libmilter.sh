#!/bin/bash
# t-libmilter.sh - scripts/libmilter.sh and the build's choice of libmilter.
# When the Debian archive cannot be reached, the script says so on one line,
# exits 1 and leaves nothing behind (the build then uses the system's
# libmilter). When .deps/libmilter/libmilter.a is there, it has no worker
# pool and the daemon under test is linked with it, not with Debian's shared
# library; otherwise the daemon uses the shared one. (Building the library
# for real is scripts/test.sh's first step, so every suite run exercises it.)
set -u
. "$(dirname "$0")/../lib/common.sh"

need_cmd nm ldd
need_bin lettergated

# An unreachable archive: a proxy nothing listens on.
out=$LG_TMP/lib
dead=$(free_port)
msg=$(cd "$LG_ROOT" && http_proxy=http://127.0.0.1:$dead LG_LIBMILTER_OUT=$out \
	timeout 120 scripts/libmilter.sh --force 2>&1)
rc=$?
is "$rc" 1 "libmilter.sh exits 1 when the archive cannot be reached"
like "$msg" "no source list could be downloaded" "it says what failed"
like "$msg" "the system's libmilter \\(worker pool\\) stays in use" "and what the build uses instead"
is "$(printf '%s\n' "$msg" | wc -l)" 1 "in one line"
[[ ! -e $out ]] && ok "nothing is left behind" || fail "nothing is left behind" "$(ls -la "$out")"

lib=$LG_ROOT/.deps/libmilter/libmilter.a
if [[ -f $lib ]]; then
	if nm "$lib" 2>/dev/null | grep -q ' T mi_pool_controller_init'; then
		fail "the built libmilter has no worker pool"
	else
		ok "the built libmilter has no worker pool"
	fi
	nm "$lib" 2>/dev/null | grep -q ' U poll$' &&
		ok "it waits with poll (descriptors above 1024 work)" ||
		fail "it waits with poll (descriptors above 1024 work)"
	if ldd "$LG_BIN/lettergated" | grep -q 'libmilter\.so'; then
		fail "lettergated is linked with the built libmilter" "$(ldd "$LG_BIN/lettergated" | grep milter)"
	else
		ok "lettergated is linked with the built libmilter"
	fi
else
	ldd "$LG_BIN/lettergated" | grep -q 'libmilter\.so' &&
		ok "without a built libmilter, lettergated uses the system's" ||
		fail "without a built libmilter, lettergated uses the system's"
fi
done_testing
