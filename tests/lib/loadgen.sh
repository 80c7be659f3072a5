# shellcheck shell=bash
# tests/lib/loadgen.sh - helpers for the load, soak, fault and MTA benchmarks
# (source after common.sh and gateway.sh).
#
#   lg_loadgen ARGS...          runs $LG_BIN/tools/loadgen (tests/tools/loadgen.c;
#                               built with `make tests`, or built here from the
#                               source when missing)
#   lg_prisoners_csv FILE N [PREFIX]  writes a directory CSV with N active
#                               prisoners PREFIX00000.. (default zk.)
#   gw_import_prisoners DIR N   generates and imports N prisoners into DIR
#   gw_child_pid DIR            pid of the daemon's working child (the milter)
#   proc_kb PID FIELD           VmHWM / VmRSS ... of PID in kB, from /proc
#   proc_ticks PID              utime+stime of PID in clock ticks
#   proc_thread_ticks PID COMM  the same for PID's threads named COMM
#   gw_db DIR                   the database path in DIR/lettergate.conf
#   gw_letters DIR [WHERE]      letters in DIR's database (sqlite3), optional
#                               SQL condition
#   kv FILE KEY                 value of KEY=value in a loadgen output file
LG_TICK=$(getconf CLK_TCK)

lg_loadgen() {
	local bin=$LG_BIN/tools/loadgen
	if [[ ! -x $bin ]]; then
		mkdir -p "$LG_BIN/tools"
		cc -O2 -g -std=gnu11 -D_GNU_SOURCE -o "$bin" "$LG_ROOT/tests/tools/loadgen.c" -lpthread ||
			return 2
	fi
	# the load generator is not what a sanitizer build is testing
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$bin" "$@"
}

lg_prisoners_csv() {
	local file=$1 n=$2 prefix=${3:-zk.}
	python3 - "$file" "$n" "$prefix" <<-'EOF'
		import sys
		path, n, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
		first = ["Иван", "Пётр", "Алексей", "Мария", "Ольга", "Сергей", "Нина", "Денис"]
		last = ["Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Лебедев", "Козлов"]
		with open(path, "w", encoding="utf-8") as f:
		    f.write("alias,full_name,birth_year,region,facility,status\n")
		    for i in range(n):
		        f.write("%s%05d,%s %s,%d,Республика Мордовия,ИК-%d УФСИН России по Республике Мордовия,active\n"
		                % (prefix, i, last[i % 8], first[i // 8 % 8], 1960 + i % 40, 1 + i % 30))
	EOF
}

gw_import_prisoners() {
	local dir=$1 n=$2 csv
	csv=$dir/prisoners-$n.csv
	lg_prisoners_csv "$csv" "$n" || return 1
	gw_ctl "$dir" prisoner import "$csv" >/dev/null || return 1
	[[ $(id -u) == 0 ]] && chown -R "$GW_USER" "$dir/db"
	return 0
}

proc_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null; }

proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }

# proc_thread_ticks PID COMM: utime+stime of PID's live threads named COMM
# (GLib names its threads: "deliver" for the delivery workers)
proc_thread_ticks() {
	local t n=0 v
	for t in /proc/"$1"/task/*; do
		[[ $(cat "$t/comm" 2>/dev/null) == "$2" ]] || continue
		v=$(sed 's/^.*) //' "$t/stat" 2>/dev/null | awk '{ print $12 + $13 }')
		n=$((n + ${v:-0}))
	done
	echo "$n"
}

gw_db() { sed -n 's/^database *= *//p' "$1/lettergate.conf" | head -n1; }

gw_letters() {
	local where=${2:+ WHERE $2}
	sqlite3 -cmd '.timeout 10000' "$(gw_db "$1")" "SELECT count(*) FROM letters$where"
}

kv() { sed -n "s/^$2=//p" "$1" | head -n1; }
