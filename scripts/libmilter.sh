#!/bin/bash
# scripts/libmilter.sh - build libmilter with one thread per milter session,
# as upstream Sendmail ships it, into .deps/libmilter/libmilter.a; the
# Makefile links lettergated with it when it is there (LIBMILTER=).
# Two changes of ours, each a patch with its reasons at its head:
# scripts/libmilter-session-threads.patch (a finished session's thread waits
# a while for the next session instead of ending) and
# scripts/libmilter-read-ahead.patch (commands that arrive together are read
# together, not with a poll and two reads each).
#
# Why: Debian builds its libmilter1.0.1 with the "for future release" worker
# pool (-D_FFR_WORKERS_POOL). There one controller thread polls every idle
# session and hands each readable one to a worker through a pipe and a
# condition variable, so every SMTP stage Postfix relays costs three or four
# thread wakeups instead of one. On a 2-core VM the do-nothing milter used
# 1.30 ms of CPU a letter with Debian's library and 0.79 ms with upstream's.
# Upstream's thread then ends with its session, and glibc's madvise() of the
# stack it leaves flushes the other CPU's TLB; keeping the thread for the next
# session took lettergated from 1.60-2.10 to 1.34-1.43 ms a letter, and
# reading ahead from 185 to 73 system calls a letter (README, "libmilter").
#
# What: Debian's own source package of the installed libmilter version (so
# Debian's patches, security fixes included, are applied), fetched with apt
# from the Debian archive through a private source list: the system's apt
# configuration is not changed. Built with Sendmail's Build and Debian's
# libmilter options (poll instead of select, -fPIC, _FFR_MILTER_ROOT_UNSAFE),
# less the worker pool, plus the usual hardening flags and our patches.
#
#   scripts/libmilter.sh          build unless .deps/libmilter/libmilter.a is current
#   scripts/libmilter.sh --force  build again
#   LG_LIBMILTER_OUT=DIR          build into DIR instead (tests)
#
# Exit 0: the library is there. Exit 1, with the reason on stderr: nothing
# changed, and the build keeps using the system's -lmilter (everything works
# the same, with Debian's worker pool).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

OUT=${LG_LIBMILTER_OUT:-$PWD/.deps/libmilter}
fail() {
	echo "libmilter.sh: $*; the system's libmilter (worker pool) stays in use" >&2
	exit 1
}

PATCHES=("$PWD/scripts/libmilter-session-threads.patch" "$PWD/scripts/libmilter-read-ahead.patch")
pkg=$(dpkg-query -W -f='${Version}' libmilter1.0.1 2>/dev/null) ||
	fail "libmilter1.0.1 is not installed (scripts/deps.sh installs it)"
for p in "${PATCHES[@]}"; do
	[[ -f $p ]] || fail "$p is missing"
done
# the package's version and the patches' digest: any of them changing rebuilds
ver="$pkg $(cat "${PATCHES[@]}" | sha256sum | cut -c1-12)"
if [[ ${1:-} != --force && -f $OUT/libmilter.a && "$(cat "$OUT/VERSION" 2>/dev/null)" == "$ver" ]]; then
	echo "libmilter.sh: $OUT/libmilter.a is current ($ver, thread per session)"
	exit 0
fi
for c in apt-get dpkg-source m4 cc patch; do
	command -v "$c" >/dev/null || fail "$c is missing"
done

W=$(mktemp -d /tmp/lg-libmilter.XXXXXX) || fail "no temporary folder"
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
mkdir -p "$W/lists/partial" "$W/parts" "$W/src"

# The system's own Debian entries, as source entries, in a private list.
srcs=()
shopt -s nullglob
for f in /etc/apt/sources.list.d/*.sources; do srcs+=("$f"); done
shopt -u nullglob
if ((${#srcs[@]})); then
	sed -E 's/^Types:.*/Types: deb-src/' "${srcs[@]}" >"$W/parts/debian.sources"
fi
if [[ -f /etc/apt/sources.list ]]; then
	sed -nE 's/^deb[[:space:]]+/deb-src /p' /etc/apt/sources.list >"$W/parts/debian.list"
fi
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$W/parts"
	-o "Dir::State::Lists=$W/lists" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
timeout 300 apt-get "${apt_opts[@]}" -qq update >"$W/apt.log" 2>&1 ||
	fail "apt-get update of the source lists failed: $(tail -n 1 "$W/apt.log")"
# apt-get update succeeds even when nothing could be downloaded
compgen -G "$W/lists/*Sources*" >/dev/null ||
	fail "no source list could be downloaded from the Debian archive: $(grep -m 1 -E '^(W|E|Err):' "$W/apt.log")"
(cd "$W/src" && timeout 300 apt-get "${apt_opts[@]}" -qq source "sendmail=$pkg") >>"$W/apt.log" 2>&1 ||
	fail "apt-get source sendmail=$pkg failed: $(tail -n 1 "$W/apt.log")"
tree=$(find "$W/src" -mindepth 1 -maxdepth 1 -type d -name 'sendmail-*' | head -n 1)
[[ -n $tree && -d $tree/libmilter ]] || fail "no libmilter in the source package"
for p in "${PATCHES[@]}"; do
	patch -d "$tree" -p1 --batch --forward <"$p" >"$W/patch.log" 2>&1 ||
		fail "scripts/${p##*/} does not apply to sendmail $pkg: $(tail -n 1 "$W/patch.log")"
done

# Debian's options (debian/build/site.config.m4.in) without the worker pool,
# with our patches switched on.
cat >"$W/site.config.m4" <<'EOF'
define(`confOPTIMIZE', `-O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2')
APPENDDEF(`conf_libmilter_ENVDEF', `-fPIC -DSM_CONF_POLL=1 -D_FFR_MILTER_ROOT_UNSAFE -DLG_SESSION_THREADS=1 -DLG_READ_BUFFER=8192')
EOF
(cd "$tree/libmilter" && sh ./Build -f "$W/site.config.m4") >"$W/build.log" 2>&1 ||
	fail "the build failed: $(tail -n 3 "$W/build.log" | tr '\n' ' ')"
lib=$(find "$tree" -path '*/obj.*/libmilter/libmilter.a' | head -n 1)
[[ -n $lib ]] || fail "the build made no libmilter.a"
syms=$(nm "$lib" 2>/dev/null)
if grep -q 'T mi_pool_controller_init' <<<"$syms"; then
	fail "the library built still has the worker pool"
fi
grep -q ' t mi_session_thread$' <<<"$syms" ||
	fail "the library built does not keep session threads (patch not compiled in)"
grep -q ' T mi_rd_cmd_buffered$' <<<"$syms" ||
	fail "the library built does not read ahead (patch not compiled in)"
mkdir -p "$OUT" && cp "$lib" "$OUT/libmilter.a.new" && mv -f "$OUT/libmilter.a.new" "$OUT/libmilter.a" ||
	fail "cannot write $OUT"
echo "$ver" >"$OUT/VERSION"
echo "libmilter.sh: built $OUT/libmilter.a from Debian's sendmail $pkg, thread per session, threads kept for the next session, commands read ahead"
