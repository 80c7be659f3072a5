#!/bin/bash
# t-fuzz-regressions.sh - every input a fuzzer once crashed on
# (tests/fuzz/regressions/<target>/*) replayed through the same target code,
# linked with tests/fuzz/replay_main.c against this build's library (plain
# or ASan+UBSan), so the suite catches a fix that comes undone without
# needing clang or libFuzzer. Each target must get through all its inputs,
# under a timeout (an endless loop is a failure too).
set -u
. "$(dirname "$0")/../lib/common.sh"

need_cmd cc pkg-config
[[ -f $LG_BIN/liblettergate.a ]] || skip_all "$LG_BIN/liblettergate.a not built"
REG=$LG_ROOT/tests/fuzz/regressions
[[ -d $REG ]] || skip_all "no regression inputs"

PKGS="milter gmime-3.0 glib-2.0 gio-2.0 libcurl openssl sqlite3 json-glib-1.0 vips libjpeg libexttextcat libpcre2-8 gumbo cairo pangocairo libmicrohttpd"
SAN=""
[[ $(basename "$LG_BIN") == *san* ]] &&
	SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
OUT=$(lg_tmpdir replay)

for dir in "$REG"/*/; do
	t=$(basename "$dir")
	src=$LG_ROOT/tests/fuzz/$t.c
	mapfile -t inputs < <(find "$dir" -type f | sort)
	((${#inputs[@]} > 0)) || continue
	if [[ ! -f $src ]]; then
		fail "$t: regression inputs without tests/fuzz/$t.c"
		continue
	fi
	# shellcheck disable=SC2086
	if ! out=$(cd "$LG_ROOT" && cc -O1 -g -std=gnu11 -D_GNU_SOURCE -I. $(pkg-config --cflags $PKGS) \
		$SAN -DLG_ROOT_DEFAULT="\"$LG_ROOT\"" -o "$OUT/$t" "$src" tests/fuzz/replay_main.c \
		"$LG_BIN/liblettergate.a" $(pkg-config --libs $PKGS) -lstemmer -lm -lpthread 2>&1); then
		fail "$t: replay driver builds" "$out"
		continue
	fi
	if out=$(cd "$OUT" && timeout 120 "$OUT/$t" "${inputs[@]}" 2>&1); then
		ok "$t: ${#inputs[@]} regression input(s) replayed"
	else
		fail "$t: ${#inputs[@]} regression input(s) replayed (exit $?)" "$(tail -n 40 <<<"$out")"
	fi
done
done_testing
