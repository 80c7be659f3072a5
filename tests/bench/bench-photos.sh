#!/bin/bash
# tests/bench/bench-photos.sh - photo conversion benchmark (not a test).
#
# Makes a 12-megapixel JPEG and PNG (4000 x 3000, photo-like: smooth colour
# with grain; the JPEG carries EXIF orientation 6 so the rotation path is
# measured) and a 1600 x 1200 quality-80 JPEG that the fast path copies
# (policy/photo.h), then prints:
#   - photos converted per second on one thread, per input type
#     (default settings: long side 2000, quality 85, vips_threads 1);
#   - CPU per spool-partner PDF of a one-page letter with one photo
#     (the converted 12-megapixel JPEG, not decoded by deliver/pdf.c);
#   - wall time and peak RSS while 5 letters x 5 such photos go through
#     attach_process() at once, one thread per letter. peak_over_inputs_kb
#     is the peak minus the RSS already taken by the 25 input buffers.
# Environment: LG_BUILD (build), BENCH_N (conversions per rate run, 10).
set -eu
LG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LG_BUILD=${LG_BUILD:-build}
BIN=$LG_ROOT/$LG_BUILD/tools/bench_photos
N=${BENCH_N:-10}
[[ -x $BIN ]] || make -C "$LG_ROOT" "$LG_BUILD/tools/bench_photos" >/dev/null
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$BIN" gen "$TMP" >/dev/null
echo "inputs: $(stat -c '%n %s bytes' "$TMP"/photo.jpg "$TMP"/photo.png "$TMP"/photo-fit.jpg | sed "s|$TMP/||" | paste -sd ';')"
echo "cpus: $(nproc)"
for f in photo.jpg photo.png photo-fit.jpg; do
	"$BIN" rate "$TMP/$f" "$N" 2>/dev/null
done
vips thumbnail "$TMP/photo.jpg" "$TMP/converted.jpg[Q=85,strip]" 2000 2>/dev/null ||
	cp "$TMP/photo-fit.jpg" "$TMP/converted.jpg"
"$BIN" pdf "$TMP/converted.jpg" "$N" 2>/dev/null
for f in photo.jpg photo.png; do
	"$BIN" peak "$TMP/$f" 5 5 2>/dev/null
done
