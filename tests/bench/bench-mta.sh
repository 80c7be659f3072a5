#!/bin/bash
# tests/bench/bench-mta.sh - lettergated against its peers, through the same
# private Postfix, side by side in one run (not a test; `make bench`).
#
# Configurations, each on
#   (a) ~2 KB Russian text letters and
#   (b) ~350 KB letters: text + a 1024x768 JPEG + a 100 KB PDF:
#   postfix       Postfix without a milter
#   null          Postfix + tests/tools/null_milter (libmilter, parses nothing:
#                 the protocol's own cost, the ceiling for any milter)
#   null-gmime    the same, parsing every message with GMime (reference)
#   null-debian   the do-nothing milter linked with Debian's shared libmilter
#                 (worker pool); only when lettergated is linked with the
#                 thread-per-session build of scripts/libmilter.sh, which
#                 null and null-gmime then use too
#   mimedefang    Postfix + MIMEDefang 3.3 (Debian) with a filter that drops
#                 every attachment that is not an image. Optional: installed
#                 here with apt-get only when BENCH_MIMEDEFANG=install (after
#                 checking with `apt-get install -s` that nothing is removed),
#                 used when already installed, else skipped.
#   lettergated   Postfix + the real daemon (spool partner; BENCH_N_A prisoners;
#                 quotas off; delivery workers running as in production)
# Letters are unique (distinct writers, prisoners and texts; tests/tools/
# loadgen.c), one SMTP session each, CONC (20) at once; a short warm-up
# precedes each measured run.
# Measured: messages/s, ratio to the do-nothing milter and to MIMEDefang,
# verdict latency p50/p99 (client side: end of DATA to the reply), the
# milter's peak RSS and CPU per message (utime+stime of the milter's
# processes before/after; for lettergated also without its delivery
# threads). Writes a markdown table to tests/out/bench.md (BENCH_OUT).
#
# Environment: BENCH_N_A (6000), BENCH_N_B (400), BENCH_CONC (20), BENCH_REPEAT (5:
# rounds, the configurations taking turns; medians reported),
# BENCH_ONLY (regex on configuration names), LG_BUILD (build).
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"
. "$LG_ROOT/tests/lib/loadgen.sh"

N_A=${BENCH_N_A:-6000}
N_B=${BENCH_N_B:-400}
CONC=${BENCH_CONC:-20}
REPEAT=${BENCH_REPEAT:-5}
ONLY=${BENCH_ONLY:-}
OUTMD=${BENCH_OUT:-$LG_ROOT/tests/out/bench.md}
need_cmd /usr/sbin/postfix vips python3 sqlite3
need_bin lettergated lettergatectl
# the do-nothing milter linked with Debian's shared libmilter, into OUT
null_milter_shared() { # OUT
	# shellcheck disable=SC2046
	cc -O2 -g -std=gnu11 -D_GNU_SOURCE $(pkg-config --cflags gmime-3.0) -o "$1" \
		"$LG_ROOT/tests/tools/null_milter.c" -lmilter $(pkg-config --libs gmime-3.0) -lpthread
}
NULL=$LG_BIN/tools/null_milter
if [[ ! -x $NULL ]]; then
	mkdir -p "$LG_BIN/tools"
	null_milter_shared "$NULL" || { echo "bench-mta: cannot build null_milter" >&2; exit 1; }
fi

W=$(lg_tmpdir bench)
mkdir -p "$LG_ROOT/tests/out"

# --- media for (b) -------------------------------------------------------
(
	cd "$W" || exit 1
	vips gaussnoise n.v 1024 768 --sigma 30 --mean 128 &&
		vips xyz xy.v 1024 768 && vips extract_band xy.v x.v 0 &&
		vips linear x.v xg.v 0.25 0 && vips add n.v xg.v s.v &&
		vips cast s.v u.v uchar && vips colourspace u.v c.v srgb &&
		vips gaussblur c.v b.v 0.62 && vips jpegsave b.v photo.jpg --Q 85 &&
		rm -f ./*.v
) || { echo "bench-mta: cannot make the JPEG" >&2; exit 1; }
python3 - "$W/doc.pdf" <<'EOF'
import sys, random
random.seed(7)
words = "the of letter prison court appeal hearing document page report".split()
lines = []
for i in range(1600):
    lines.append("BT /F1 9 Tf 40 %d Td (%s) Tj ET" % (800 - (i % 90) * 9, " ".join(random.choice(words) for _ in range(8))))
stream = "\n".join(lines).encode()
objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
out = bytearray(b"%PDF-1.4\n")
offs = []
for i, o in enumerate(objs, 1):
    offs.append(len(out))
    out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
x = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offs:
    out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
open(sys.argv[1], "wb").write(out)
EOF
jpeg_kb=$(($(stat -c %s "$W/photo.jpg") / 1024))
pdf_kb=$(($(stat -c %s "$W/doc.pdf") / 1024))

# --- the gateway (for the lettergated rows) -------------------------------
GW=$(lg_tmpdir gw)
gw_setup "$GW"
on_exit gw_stop "$GW"
gw_import_prisoners "$GW" "$N_A" || exit 1

PF=$(lg_tmpdir pf)
on_exit pf_stop "$PF"
port=$(free_port)

# --- MIMEDefang ----------------------------------------------------------
MD=""
md_setup() {
	if ! command -v mimedefang-multiplexor >/dev/null; then
		if [[ ${BENCH_MIMEDEFANG:-} == install ]]; then
			if apt-get install -s mimedefang 2>/dev/null | grep -q '^Remv'; then
				echo "bench-mta: installing mimedefang would remove packages; skipped" >&2
				return 1
			fi
			DEBIAN_FRONTEND=noninteractive apt-get install -y mimedefang >"$W/md-install.log" 2>&1 ||
				return 1
		else
			return 1
		fi
	fi
	MD=$(lg_tmpdir md)
	mkdir -p "$MD/spool"
	chown nobody "$MD/spool" "$MD"
	cat >"$MD/filter" <<-'EOF'
		# bench filter: keep text and images, drop every other attachment
		$AdminAddress = 'postmaster@localhost';
		$AdminName = 'bench';
		$DaemonAddress = 'mimedefang@localhost';
		sub filter_begin { }
		sub filter {
		    my ($entity, $fname, $ext, $type) = @_;
		    return action_accept() if lc($type) =~ m{^(image/|text/plain|text/html)};
		    return action_drop();
		}
		sub filter_multipart { return action_accept(); }
		sub filter_end { }
		1;
	EOF
	chmod 644 "$MD/filter"
	mimedefang-multiplexor -D -U nobody -m 2 -x 6 -r 2000 -q 40 -z "$MD/spool" -s "$MD/mx.sock" \
		-F "$MD/filter" -p "$MD/mx.pid" >"$MD/mx.log" 2>&1 &
	echo $! >"$MD/mx.bgpid"
	wait_for_socket "$MD/mx.sock" 20 || { cat "$MD/mx.log" >&2; return 1; }
	mimedefang -D -U nobody -z "$MD/spool" -m "$MD/mx.sock" -p "unix:$MD/md.sock" -q \
		-P "$MD/md.pid" >"$MD/md.log" 2>&1 &
	echo $! >"$MD/md.bgpid"
	wait_for_socket "$MD/md.sock" 20 || { cat "$MD/md.log" >&2; return 1; }
	chmod 666 "$MD/md.sock"
	return 0
}
md_stop() {
	[[ -n $MD ]] || return 0
	local f
	for f in md.bgpid mx.bgpid; do
		[[ -f $MD/$f ]] && stop_pid "$(cat "$MD/$f")" 10
	done
	return 0
}
on_exit md_stop

# pids of a configuration's milter processes (for CPU and RSS)
milter_pids() {
	case $1 in
	null | null-gmime | null-debian) cat "$W/null.pid" ;;
	mimedefang)
		local mx
		mx=$(cat "$MD/mx.bgpid")
		echo "$(cat "$MD/md.bgpid")"
		echo "$mx"
		pgrep -P "$mx"
		;;
	lettergated) gw_child_pid "$GW" ;;
	esac
}
# total utime+stime (+ reaped children's) of the milter's processes, ticks
milter_ticks() {
	local p n=0 v
	for p in $(milter_pids "$1"); do
		v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 + $14 + $15 }')
		n=$((n + ${v:-0}))
	done
	echo "$n"
}
milter_rss() { # peak RSS of the main process; sum of VmRSS for MIMEDefang
	local p n=0 v
	if [[ $1 == mimedefang ]]; then
		for p in $(milter_pids "$1"); do
			v=$(proc_kb "$p" VmRSS)
			n=$((n + ${v:-0}))
		done
		echo "$n"
	else
		proc_kb "$(milter_pids "$1" | head -n1)" VmHWM
	fi
}

start_config() { # NAME -> milter spec on stdout
	case $1 in
	postfix) echo "" ;;
	null | null-gmime | null-debian)
		local g=() bin=$NULL
		[[ $1 == null-gmime ]] && g=(-g)
		[[ $1 == null-debian ]] && bin=$NULL_DEBIAN
		"$bin" -s "unix:$W/null.sock" "${g[@]}" >"$W/null.log" 2>&1 &
		echo $! >"$W/null.pid"
		wait_for_socket "$W/null.sock" 10 || return 1
		echo "unix:$W/null.sock"
		;;
	mimedefang) echo "unix:$MD/md.sock" ;;
	lettergated)
		gw_start "$GW" >&2 || return 1
		echo "unix:$(gw_socket "$GW")"
		;;
	esac
}
stop_config() {
	case $1 in
	null | null-gmime | null-debian) stop_pid "$(cat "$W/null.pid")" 10 ;;
	lettergated) gw_stop "$GW" ;;
	esac
}

# Waits (at most 60 s) until the machine is quiet: at least 90% of the CPUs
# idle over half a second, so that nothing one configuration leaves running
# after its burst (MIMEDefang's processes, Postfix delivering, lettergated's
# delivery) can slow the next one's. Prints the seconds waited (each row's
# quiet_wait_s; 0.5 is the shortest: the machine was quiet already).
cpu_idle_total() { awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat; }
wait_quiet() {
	local t0 i0 a0 i1 a1 n=0
	t0=$(date +%s%N)
	while ((n < 120)); do
		read -r i0 a0 < <(cpu_idle_total)
		sleep 0.5
		read -r i1 a1 < <(cpu_idle_total)
		(((a1 - a0) > 0 && (i1 - i0) * 100 >= (a1 - a0) * 90)) && break
		n=$((n + 1))
	done
	awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'
}

ROWS=$W/rows
spooled() { find "$GW/out" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l; }
spooled_at_least() { (($(spooled) >= $1)); }
: >"$ROWS"
run_one() { # NAME KIND
	local name=$1 kind=$2 n spec args=() t0 t1 d0=0 d1=0 out=$W/lg-$1-$2
	[[ $kind == a ]] && n=$N_A || n=$N_B
	[[ $kind == b ]] && args=(-k b -j "$W/photo.jpg" -f "$W/doc.pdf")
	spec=$(start_config "$name") || { echo "bench-mta: $name does not start" >&2; return 1; }
	pf_start "$PF" "$port" "$spec" >/dev/null || { echo "bench-mta: postfix does not start" >&2; return 1; }
	local s0=0 drain=- cpu_all=-
	[[ $name == lettergated ]] && s0=$(spooled)
	lg_loadgen -s "127.0.0.1:$port" -m 40 -c "$CONC" -p "$N_A" -r "w$name$kind${round:-1}x$$" "${args[@]}" >/dev/null 2>&1
	pf_wait_queue_empty "$PF" 60 >/dev/null 2>&1
	[[ $name == lettergated ]] && wait_until 120 spooled_at_least $((s0 + 40))
	local quiet
	quiet=$(wait_quiet)
	t0=$(milter_ticks "$name")
	[[ $name == lettergated ]] && d0=$(proc_thread_ticks "$(gw_child_pid "$GW")" deliver)
	lg_loadgen -s "127.0.0.1:$port" -m "$n" -c "$CONC" -p "$N_A" -r "m$name$kind${round:-1}x$$" "${args[@]}" >"$out" 2>&1
	t1=$(milter_ticks "$name")
	[[ $name == lettergated ]] && d1=$(proc_thread_ticks "$(gw_child_pid "$GW")" deliver)
	local rss
	rss=$(milter_rss "$name")
	if [[ $name == lettergated ]]; then
		# delivery yields to the sessions ([delivery] yield_seconds): the
		# burst's letters are delivered after it; how long that takes, and
		# the daemon's CPU per letter with their delivery included
		local te tn
		te=$(date +%s%N)
		if wait_until 300 spooled_at_least $((s0 + 40 + $(kv "$out" ok))); then
			tn=$(date +%s%N)
			drain=$(awk -v a="$te" -v b="$tn" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
			cpu_all=$(awk -v t=$(($(milter_ticks "$name") - t0)) -v hz="$LG_TICK" -v n="$n" \
				'BEGIN { printf "%.2f", t * 1000 / hz / n }')
		fi
	fi
	pf_wait_queue_empty "$PF" 120 >/dev/null 2>&1
	pf_stop "$PF"
	stop_config "$name"
	# name kind n rate p50 p99 ok non250 rss cpu_ms cpu_ms_wo_delivery drain_s cpu_ms_with_delivery
	awk -v name="$name" -v kind="$kind" -v n="$n" -v ok="$(kv "$out" ok)" -v rate="$(kv "$out" rate)" \
		-v drain="$drain" -v cpuall="$cpu_all" \
		-v p50="$(kv "$out" p50_ms)" -v p99="$(kv "$out" p99_ms)" -v rss="${rss:--}" \
		-v t=$((t1 - t0)) -v d=$((d1 - d0)) -v hz="$LG_TICK" -v m="$name" 'BEGIN {
		cpu = (m == "postfix") ? "-" : sprintf("%.2f", t * 1000 / hz / n);
		cpu2 = (m == "lettergated") ? sprintf("%.2f", (t - d) * 1000 / hz / n) : cpu;
		printf "%s %s %d %s %s %s %s %d %s %s %s %s %s\n", name, kind, n, rate, p50, p99, ok, n - ok, rss, cpu, cpu2, drain, cpuall }' >>"$ROWS"
	echo "bench-mta: $name ($kind): $(tr '\n' ' ' <"$out")quiet_wait_s=$quiet" >&2
}

# lettergated runs next to the do-nothing milter and MIMEDefang, the two it
# is measured against (see the round loop below)
configs=(postfix null-gmime null lettergated mimedefang)
# which libmilter lettergated (and the do-nothing milter built with it) uses
if ldd "$LG_BIN/lettergated" | grep -q 'libmilter\.so'; then
	LIBMILTER_KIND="Debian's shared libmilter (worker pool)"
else
	LIBMILTER_KIND="libmilter built by scripts/libmilter.sh (thread per session, threads kept, commands read ahead)"
	NULL_DEBIAN=$W/null_milter_debian
	null_milter_shared "$NULL_DEBIAN" &&
		configs=(postfix null-debian null-gmime null lettergated mimedefang)
fi
md_ok=no
if [[ -z $ONLY || mimedefang =~ $ONLY ]]; then
	md_setup && md_ok=yes
fi
for kind in a b; do
	# the configurations take turns, REPEAT rounds: a slow spell of the
	# machine then hits every configuration alike, and the medians are kept.
	# Every other round runs them in reverse order (A B, then B A):
	# lettergated always runs between the do-nothing milter and
	# MIMEDefang, and a machine that speeds up or slows down over a pair
	# of rounds favours neither side of their ratios.
	for ((round = 1; round <= REPEAT; round++)); do
		order=("${configs[@]}")
		if ((round % 2 == 0)); then
			order=()
			for ((i = ${#configs[@]} - 1; i >= 0; i--)); do
				order+=("${configs[i]}")
			done
		fi
		for c in "${order[@]}"; do
			[[ -n $ONLY && ! $c =~ $ONLY ]] && continue
			[[ $c == mimedefang && $md_ok != yes ]] && continue
			run_one "$c" "$kind"
		done
	done
done

{
	echo "## MTA benchmark: Postfix $(postconf -d mail_version 2>/dev/null | sed 's/.*= //'), $(date -u +%Y-%m-%d)"
	echo
	echo "Machine: $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)), $(free -g | awk '/Mem/ { print $2 }') GB, $(uname -sr)."
	echo "Concurrency $CONC, one SMTP session per letter, unique letters; (a) $N_A letters of about 2 KB"
	echo "of Russian text; (b) $N_B letters: text + ${jpeg_kb} KB 1024x768 JPEG + ${pdf_kb} KB PDF (base64: about $(((jpeg_kb + pdf_kb) * 137 / 100 + 3)) KB)."
	echo "Each configuration ran $REPEAT times, the configurations taking turns (every other round in"
	echo "reverse order, lettergated always between the do-nothing milter and MIMEDefang); the table gives medians."
	echo "libmilter: $LIBMILTER_KIND."
	echo "Latency: client side, end of DATA to the reply. CPU: the milter's processes (utime+stime)"
	echo "during the run; for lettergated the figure in brackets leaves out its delivery threads."
	echo "lettergated's delivery yields to SMTP sessions ([delivery] yield_seconds), so most of a"
	echo "burst's letters are delivered after it: \"drain s\" is how long after the last reply the"
	echo "last letter reached the spool, \"CPU with delivery\" the daemon's CPU per letter up to then."
	echo
	[[ $md_ok == yes ]] || echo "MIMEDefang: not installed (BENCH_MIMEDEFANG=install to install it); its columns are empty."
	python3 - "$ROWS" <<'PY'
import statistics, sys
rows = {}
order = []
for line in open(sys.argv[1]):
    f = line.split()
    key = (f[0], f[1])
    if key not in rows:
        rows[key] = []
        order.append(key)
    rows[key].append(f)

def med(vals):
    nums = [float(v) for v in vals if v not in ("-", "")]
    return statistics.median(nums) if nums else None

def fmt(v, spec):
    return "-" if v is None else format(v, spec)

m = {}
for key in order:
    rs = rows[key]
    m[key] = {
        "n": int(rs[0][2]), "runs": len(rs), "rate": med(r[3] for r in rs),
        "p50": med(r[4] for r in rs), "p99": med(r[5] for r in rs),
        "non250": sum(int(r[7]) for r in rs), "rss": med(r[8] for r in rs),
        "cpu": med(r[9] for r in rs), "cpu2": med(r[10] for r in rs),
        "drain": med(r[11] for r in rs), "cpuall": med(r[12] for r in rs),
    }
print("| config | kind | msgs × runs | msg/s | × null | × MIMEDefang | p50 ms | p99 ms | non-250 | RSS kB | CPU ms/msg | drain s | CPU with delivery |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for key in order:
    x = m[key]
    nul = m.get(("null", key[1]), {}).get("rate")
    md = m.get(("mimedefang", key[1]), {}).get("rate")
    rn = fmt(x["rate"] / nul, ".2f") if nul else "-"
    rm = fmt(x["rate"] / md, ".2f") if md else "-"
    cpu = fmt(x["cpu"], ".2f")
    if key[0] == "lettergated":
        cpu += " (" + fmt(x["cpu2"], ".2f") + " milter)"
    print("| %s | %s | %d × %d | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s |" % (
        key[0], key[1], x["n"], x["runs"], fmt(x["rate"], ".0f"), rn, rm, fmt(x["p50"], ".1f"),
        fmt(x["p99"], ".1f"), x["non250"], fmt(x["rss"], ".0f"), cpu, fmt(x["drain"], ".1f"),
        fmt(x["cpuall"], ".2f")))

def r(name, kind):
    return m.get((name, kind), {}).get("rate")

def verdict(ok):
    return "met" if ok else "NOT met"

la, lb, na, ma, mb = r("lettergated", "a"), r("lettergated", "b"), r("null", "a"), r("mimedefang", "a"), r("mimedefang", "b")
parts = []
parts.append("(a) >= 0.85x null: " + ("%s (%.2f)" % (verdict(la / na >= 0.85), la / na) if la and na else "-"))
# The do-nothing milter is the ceiling for any milter: when even it stays
# under 2.5x MIMEDefang in this run, no milter that does work can meet it.
parts.append("(a) >= 2.5x MIMEDefang: " + ("%s (%.2f; the do-nothing milter's ceiling in this run: %.2f)" % (
    verdict(la / ma >= 2.5), la / ma, na / ma) if la and ma and na else "-"))
parts.append("(b) >= 1.5x MIMEDefang: " + ("%s (%.2f)" % (verdict(lb / mb >= 1.5), lb / mb) if lb and mb else "-"))
c = m.get(("lettergated", "a"), {})
if c.get("cpu2") is not None:
    parts.append("milter CPU <= 1.5 ms per (a) letter: %s (%.2f ms; with delivery %s ms)" % (
        verdict(c["cpu2"] <= 1.5), c["cpu2"], fmt(c.get("cpuall"), ".2f")))
print()
print("Targets: " + "; ".join(parts))

# The same ratios round by round: in a round the configurations ran one after
# the other, minutes apart, so a slow or fast spell of the machine weighs on
# both sides of a round's ratio alike. Shown beside the ratios of the medians
# above, which the targets are judged on.
def per_round(name, other, kind):
    a, b = rows.get((name, kind)), rows.get((other, kind))
    if not a or not b or len(a) != len(b):
        return None
    return [float(x[3]) / float(y[3]) for x, y in zip(a, b) if float(y[3]) > 0]

lines = []
for kind in ("a", "b"):
    for name, other in (("lettergated", "mimedefang"), ("lettergated", "null"),
                        ("null", "mimedefang")):
        rr = per_round(name, other, kind)
        if rr:
            lines.append("(%s) %s / %s: %s; median %.2f" % (
                kind, name, other, " ".join("%.2f" % v for v in rr), statistics.median(rr)))
if lines:
    print()
    print("Per round: " + "; ".join(lines))
PY
} | tee "$OUTMD"
