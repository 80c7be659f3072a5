#!/bin/bash
# t-postfix-photos.sh - a letter with a photo and a video, end to end
# through a real Postfix: the spool gets the letter with the converted photo
# only (JPEG, referenced by name and sha256 in the JSON); the video is
# dropped with a reason and the letter goes on.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd swaks /usr/sbin/postfix vips
need_bin lettergated lettergatectl

GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
W=$(lg_tmpdir work)
gw_setup "$GW"
gw_pf_start "$GW" "$PF" letters.example.org

vips gaussnoise "$W/noise.v" 1600 1200 && vips cast "$W/noise.v" "$W/IMG_2041.jpg" uchar
python3 - "$W/holiday.mp4" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    f.write(b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41")
    f.write(os.urandom(200000))
PY
out=$(swaks --server "127.0.0.1:$port" --from daria.orlova@example.net --to oleg.vasin@letters.example.org \
	--header 'Subject: Фото с дачи' --header 'Message-Id: <photo-1@example.net>' \
	--body 'Здравствуйте, Олег! Посылаю вам фотографию нашего сада. Видео тоже прикладываю.' \
	--attach-type image/jpeg --attach-name IMG_2041.jpg --attach "@$W/IMG_2041.jpg" \
	--attach-type video/mp4 --attach-name holiday.mp4 --attach "@$W/holiday.mp4" --timeout 60 2>&1)
like "$out" '250 2\.0\.0' "letter with a photo and a video accepted"
if wait_until 20 bash -c "ls '$GW'/out/*.json >/dev/null 2>&1"; then
	ok "letter reaches the spool"
else
	fail "letter reaches the spool" "$(tail -n 20 "$GW/daemon.log")"
	done_testing
fi
json=$(ls "$GW"/out/*.json | head -n1)
id=$(basename "$json" .json)
photos=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(p["name"]+":"+p["type"]+":"+p["sha256"] for p in d["photos"]))' "$json")
set -- $photos
is "$#" 1 "exactly one photo in the letter (the video is not)"
name=${1%%:*}
rest=${1#*:}
type=${rest%%:*}
sha=${rest#*:}
is "$type" image/jpeg "the photo is a JPEG"
if [ -f "$GW/out/$id-$name" ]; then
	ok "the converted photo is written beside the JSON"
	is "$(sha256sum "$GW/out/$id-$name" | cut -d' ' -f1)" "$sha" "the JSON names the photo's sha256"
	dims=$(vipsheader -f width "$GW/out/$id-$name")x$(vipsheader -f height "$GW/out/$id-$name")
	is "$dims" 1600x1200 "photo kept at its size (under the long side limit)"
	if vipsheader -a "$GW/out/$id-$name" | grep -qi 'exif-data'; then
		fail "no EXIF left in the converted photo"
	else
		ok "no EXIF left in the converted photo"
	fi
else
	fail "the converted photo is written beside the JSON"
fi
ls "$GW"/out | grep -qi mp4 && fail "no video in the spool" || ok "no video in the spool"
dropped=$(gw_ctl "$GW" letters show "$id" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(";".join(x["name"]+"="+x["reason"] for x in d["dropped"]))')
like "$dropped" 'holiday\.mp4=.+' "the video is dropped with a reason"
done_testing
