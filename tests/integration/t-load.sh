#!/bin/bash
# t-load.sh - load through the real Postfix: LG_LOAD_N unique letters
# (default 10,000 in the normal build, 1,000 under the sanitizers) from
# distinct writers to 2,000 prisoners (quotas off) at a concurrency of 20,
# one SMTP session per letter. Every message accounted for: letters stored
# = messages Postfix accepted for prisoners; no 4xx/5xx at all. Reports the
# rate, verdict latency (p50/p99), the milter child's peak RSS (VmHWM) and
# its CPU per message, and checks the peak RSS stays under LG_LOAD_MAX_KB
# (default 200 MB; 600 MB under ASan). As root, where no syslog daemon
# holds /dev/log, libmilter must log no protocol error under this
# concurrency (it did once for every header: tests/lib/syslog.sh).
# lg-test: exclusive (rate, latency and peak RSS under load)
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"
. "$LG_ROOT/tests/lib/loadgen.sh"
. "$LG_ROOT/tests/lib/syslog.sh"

need_cmd /usr/sbin/postfix sqlite3
need_bin lettergated lettergatectl

if [[ $LG_BUILD == *san* ]]; then
	N=${LG_LOAD_N:-1000}
	MAXKB=${LG_LOAD_MAX_KB:-614400}
else
	N=${LG_LOAD_N:-10000}
	MAXKB=${LG_LOAD_MAX_KB:-204800}
fi
GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
gw_setup "$GW"
gw_import_prisoners "$GW" 2000 || { fail "2,000 prisoners imported"; done_testing; }
syslog_listen
gw_pf_start "$GW" "$PF"
child=$(gw_child_pid "$GW")
t0=$(proc_ticks "$child")
d0=$(proc_thread_ticks "$child" deliver)
lg_loadgen -s "127.0.0.1:$port" -m "$N" -c 20 -p 2000 -r ld$$ -o "$LG_TMP/res" >"$LG_TMP/lg" 2>&1
t1=$(proc_ticks "$child")
d1=$(proc_thread_ticks "$child" deliver)
note "$(tr '\n' ' ' <"$LG_TMP/lg")"
accepted=$(kv "$LG_TMP/lg" ok)
is "$accepted" "$N" "all $N messages accepted (250)"
is "$(($(kv "$LG_TMP/lg" tempfail) + $(kv "$LG_TMP/lg" reject) + $(kv "$LG_TMP/lg" error)))" 0 "no 4xx, 5xx or broken session"
check "postfix queue drains" pf_wait_queue_empty "$PF" 60
stored=$(gw_letters "$GW")
is "$stored" "$accepted" "letters stored = messages Postfix accepted for prisoners"
# Postfix's own count of messages it accepted (milter discarded = stored)
pfacc=$(pf_log "$PF" | grep -c 'milter-discard: END-OF-MESSAGE')
is "$pfacc" "$accepted" "Postfix logs one milter discard per accepted letter"
syslog_check_milter
is "$(sqlite3 "$(gw_db "$GW")" 'SELECT count(DISTINCT message_id) FROM letters')" "$N" "one letter per message"
hwm=$(proc_kb "$child" VmHWM)
cpu_ms=$(awk -v t=$((t1 - t0)) -v n="$N" -v hz="$LG_TICK" 'BEGIN { printf "%.2f", t * 1000 / hz / n }')
dcpu_ms=$(awk -v t=$((d1 - d0)) -v n="$N" -v hz="$LG_TICK" 'BEGIN { printf "%.2f", t * 1000 / hz / n }')
note "peak RSS (VmHWM) of the milter child: $hwm kB; CPU ${cpu_ms} ms per letter, of which ${dcpu_ms} ms in the delivery threads (PDF, spool)"
((hwm < MAXKB)) && ok "peak RSS $hwm kB under $MAXKB kB" || fail "peak RSS under $MAXKB kB" "$hwm kB"
{
	echo "load: $N letters, concurrency 20, build $LG_BUILD, $(date -u +%FT%TZ)"
	cat "$LG_TMP/lg"
	echo "stored=$stored vmhwm_kb=$hwm cpu_ms_per_letter=$cpu_ms delivery_cpu_ms_per_letter=$dcpu_ms"
} >"$LG_ROOT/tests/out/load-$(basename "$LG_BUILD").txt" 2>/dev/null
done_testing
