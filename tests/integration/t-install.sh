#!/bin/bash
# t-install.sh - make install honours PREFIX and DESTDIR: binaries, the
# example configuration, the rules, the three man pages; the installed
# example configuration passes `lettergated -n` once pointed at writable
# paths; the man pages render.
set -u
. "$(dirname "$0")/../lib/common.sh"
D=$(lg_tmpdir destdir)
out=$(make -C "$LG_ROOT" --no-print-directory install BUILD="$LG_BUILD" PREFIX=/opt/lg DESTDIR="$D" \
	SYSCONFDIR=/opt/lg/etc 2>&1)
is "$?" 0 "make install succeeds"
for f in sbin/lettergated sbin/lettergatectl etc/lettergate/lettergate.conf.example \
	share/man/man8/lettergated.8 share/man/man8/lettergatectl.8 share/man/man5/lettergate.conf.5 \
	etc/lettergate/rules/10-links.rules; do
	check "installed /opt/lg/$f" test -s "$D/opt/lg/$f"
done
check "lettergated is executable" test -x "$D/opt/lg/sbin/lettergated"
for m in man8/lettergated.8 man8/lettergatectl.8 man5/lettergate.conf.5; do
	if command -v man >/dev/null; then
		check "man page $m renders" bash -c "man -l '$D/opt/lg/share/man/$m' >/dev/null 2>&1"
	fi
done
conf="$D/example.conf"
sed -e "s|^database *=.*|database = $D/lg.db|" -e "s|^rules_dir *=.*|rules_dir = $D/opt/lg/etc/lettergate/rules|" \
	-e "s|^group *=.*|group =|" "$D/opt/lg/etc/lettergate/lettergate.conf.example" >"$conf"
out=$("$D/opt/lg/sbin/lettergated" -n -c "$conf" 2>&1)
is "$?" 0 "the example configuration is valid"
like "$out" 'is valid \([0-9]+ rules\)' "-n reports the rules it loaded"
printf '[gateway]\ndomian = typo.example\n' >"$D/bad.conf"
out=$("$D/opt/lg/sbin/lettergated" -n -c "$D/bad.conf" 2>&1)
is "$?" 1 "an unknown key fails -n"
like "$out" 'unknown key "domian"' "the error names the key"
done_testing
