#!/bin/bash
# tests/bench/bench-photos.sh - photo conversion benchmark (not a test).
#
# Makes a 12-megapixel JPEG and PNG (4000 x 3000, photo-like: smooth colour
# with grain; the JPEG carries EXIF orientation 6 so the rotation path is
# measured), then prints:
#   - photos converted per second on one thread, per input type
#     (default settings: long side 2000, quality 85, vips_threads 1);
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
echo "inputs: $(stat -c '%n %s bytes' "$TMP"/photo.jpg "$TMP"/photo.png | sed "s|$TMP/||" | paste -sd ';')"
echo "cpus: $(nproc)"
for f in photo.jpg photo.png; do
	"$BIN" rate "$TMP/$f" "$N" 2>/dev/null
done
for f in photo.jpg photo.png; do
	"$BIN" peak "$TMP/$f" 5 5 2>/dev/null
done
