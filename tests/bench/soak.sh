#!/bin/bash
# tests/bench/soak.sh DURATION [RATE] [CONCURRENCY] - memory soak (not a test
# by itself; t-soak-short.sh runs it briefly under ASan).
#
# A private Postfix in front of the real lettergated (spool partner, 2,000
# prisoners, quotas off) receives unique 2 KB letters from loadgen for
# DURATION seconds, paced at RATE messages/s (default 20; 0 = as fast as
# CONCURRENCY sessions go, default 4). Every SOAK_SAMPLE seconds (default
# DURATION/30, at least 2) it records the milter child's VmRSS and VmHWM and
# empties the partner spool (the disk would fill otherwise).
#
# Verdict: memory is flat when the mean RSS of the last third of the samples
# exceeds the mean of the middle third by less than SOAK_GROWTH_PCT percent
# (default 10) or SOAK_GROWTH_KB (default 8192 kB), whichever is larger;
# and every message accepted by Postfix is a stored letter; and no 4xx/5xx.
# Prints a markdown report and writes it to tests/out/soak-<build>.md (or
# SOAK_REPORT). Exit 0 when both hold, 1 otherwise. Uses LG_BUILD (build).
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"
. "$LG_ROOT/tests/lib/loadgen.sh"

DURATION=${1:-1800}
RATE=${2:-20}
CONC=${3:-4}
SAMPLE=${SOAK_SAMPLE:-$((DURATION / 30))}
((SAMPLE < 2)) && SAMPLE=2
GROWTH_PCT=${SOAK_GROWTH_PCT:-10}
GROWTH_KB=${SOAK_GROWTH_KB:-8192}
REPORT=${SOAK_REPORT:-$LG_ROOT/tests/out/soak-$(basename "$LG_BUILD").md}

need_cmd /usr/sbin/postfix sqlite3
need_bin lettergated lettergatectl

GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
gw_setup "$GW" "[delivery]
interval_ms = 500"
on_exit gw_stop "$GW"
on_exit pf_stop "$PF"
gw_import_prisoners "$GW" 2000 || { echo "soak: prisoner import failed" >&2; exit 1; }
gw_start "$GW" || exit 1
port=$(free_port)
pf_start "$PF" "$port" "unix:$(gw_socket "$GW")" || exit 1
child=$(gw_child_pid "$GW")
[[ -n $child ]] || { echo "soak: no daemon child" >&2; exit 1; }

out=$LG_TMP/loadgen.out
rate_arg=()
((RATE > 0)) && rate_arg=(-R "$RATE")
lg_loadgen -s "127.0.0.1:$port" -T "$DURATION" -c "$CONC" -p 2000 -r "soak$$" "${rate_arg[@]}" \
	>"$out" 2>"$LG_TMP/loadgen.err" &
lgpid=$!
on_exit "kill $lgpid 2>/dev/null"

samples=$LG_TMP/samples
: >"$samples"
t0=$(date +%s)
while kill -0 "$lgpid" 2>/dev/null; do
	sleep "$SAMPLE"
	kill -0 "$child" 2>/dev/null || break
	printf '%d %s %s %s\n' $(($(date +%s) - t0)) "$(proc_kb "$child" VmRSS)" \
		"$(proc_kb "$child" VmHWM)" "$(gw_letters "$GW")" >>"$samples"
	find "$GW/out" -maxdepth 1 -type f -mmin +0.05 -delete 2>/dev/null
done
wait "$lgpid"
pf_wait_queue_empty "$PF" 60 >/dev/null 2>&1
sleep 1
alive=yes
kill -0 "$child" 2>/dev/null || alive=no
accepted=$(kv "$out" ok)
stored=$(gw_letters "$GW")
bad=$(($(kv "$out" tempfail) + $(kv "$out" reject) + $(kv "$out" error)))

read -r mid last <<<"$(awk '{ r[NR] = $2 } END {
	a = int(NR / 3); b = int(2 * NR / 3); s1 = 0; s2 = 0;
	for (i = a + 1; i <= b; i++) s1 += r[i];
	for (i = b + 1; i <= NR; i++) s2 += r[i];
	if (b - a < 1 || NR - b < 1) { print 0, 0; exit }
	printf "%d %d\n", s1 / (b - a), s2 / (NR - b) }' "$samples")"
growth=$((last - mid))
allow=$((mid * GROWTH_PCT / 100))
((allow < GROWTH_KB)) && allow=$GROWTH_KB
flat=no
((mid > 0 && growth <= allow)) && flat=yes

{
	echo "## Soak: $(basename "$LG_BUILD"), ${DURATION} s, rate ${RATE}/s, concurrency $CONC"
	echo
	echo "$(uname -srm), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "| t (s) | VmRSS kB | VmHWM kB | letters |"
	echo "| ---: | ---: | ---: | ---: |"
	awk '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$samples"
	echo
	echo "- messages accepted by Postfix: $accepted; letters stored: $stored;" \
		"4xx/5xx/errors: $bad ($(grep '^reply' "$out" | tr '\n' ';'))"
	echo "- rate achieved: $(kv "$out" rate) msg/s; verdict latency p50 $(kv "$out" p50_ms) ms," \
		"p99 $(kv "$out" p99_ms) ms"
	echo "- RSS mean middle third $mid kB, last third $last kB: growth $growth kB" \
		"(allowed $allow kB): flat=$flat; daemon alive at the end: $alive"
} | tee "$REPORT"

[[ $flat == yes && $alive == yes && $accepted == "$stored" && $bad == 0 && ${accepted:-0} -gt 0 ]]
