# shellcheck shell=bash
# tests/lib/gateway.sh - run the real lettergated for a test.
#
#   gw_setup DIR [EXTRA_INI]   writes DIR/lettergate.conf (domain
#       letters.example.org, database DIR/db/lettergate.db, socket
#       DIR/sock/milter.sock mode 0666, spool DIR/out, rules from the tree,
#       user nobody when root) plus EXTRA_INI (whole "[section]\nkey = value"
#       text, merged by section), and imports conf/prisoners.example.csv.
#   gw_start DIR               starts `lettergated -f -c DIR/lettergate.conf`
#       with stderr to DIR/daemon.log; waits for the socket; returns non-zero
#       with the log tail when it does not come up. Its pid is in DIR/pid.
#   gw_stop DIR                SIGTERM, waits up to 10 s, then SIGKILL.
#   gw_kill9 DIR               SIGKILL to the daemon and its child.
#   gw_ctl DIR ARGS...         lettergatectl -c DIR/lettergate.conf ARGS...
#   gw_socket DIR              prints the socket path
#   gw_letter_count DIR        how many letters the database holds
#   gw_child_pid DIR           the daemon's worker process (sessions, delivery)
#   gw_pf_start GW PF [ARGS...]  gw_start GW, then a private Postfix in PF
#       on a free port (left in $port) with GW's socket as its milter (ARGS:
#       pf_start's relay domains); both stopped at exit. When either does
#       not start: a failed check and the end of the test. Needs
#       tests/lib/postfix.sh; PF_* variables pass through to pf_start.
#   GW_USER                    the user it runs as (nobody when root)
GW_USER=${GW_USER:-nobody}

gw_ctl() {
	local dir=$1
	shift
	"$LG_BIN/lettergatectl" -c "$dir/lettergate.conf" "$@"
}

gw_socket() { printf '%s\n' "$1/sock/milter.sock"; }

gw_setup() {
	local dir=$1 extra=${2:-}
	mkdir -p "$dir/db" "$dir/sock" "$dir/out" "$dir/tmp"
	chmod 0755 "$dir" "$dir/sock"
	chmod 1777 "$dir/tmp"
	python3 - "$dir/lettergate.conf" "$extra" <<PY
import sys, configparser
path, extra = sys.argv[1], sys.argv[2]
cp = configparser.ConfigParser(interpolation=None, delimiters=("=",))
cp.optionxform = str
cp.read_string("""
[gateway]
domain = letters.example.org
database = $dir/db/lettergate.db
socket = unix:$dir/sock/milter.sock
socket_mode = 0666
user = $GW_USER
log = stderr
tmp_dir = $dir/tmp
[screen]
rules_dir = $LG_ROOT/conf/rules
[translate]
apertium_url = http://127.0.0.1:9
on_failure = hold
[delivery]
spool_dir = $dir/out
interval_ms = 200
[quota]
writer_day = 0
writer_prisoner_day = 0
""")
if extra.strip():
    cp.read_string(extra)
with open(path, "w") as f:
    cp.write(f)
PY
	gw_ctl "$dir" prisoner import "$LG_ROOT/conf/prisoners.example.csv" >/dev/null
	if [ "$(id -u)" = 0 ]; then
		chown -R "$GW_USER" "$dir/db" "$dir/out"
	fi
}

gw_start() {
	local dir=$1 sock
	sock=$(gw_socket "$dir")
	rm -f "$sock"
	"$LG_BIN/lettergated" -f -c "$dir/lettergate.conf" 2>>"$dir/daemon.log" &
	echo $! >"$dir/pid"
	if ! wait_for_socket "$sock" 20; then
		echo "lettergated did not come up:" >&2
		tail -n 30 "$dir/daemon.log" >&2
		return 1
	fi
	return 0
}

gw_stop() {
	local dir=$1 pid
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	rm -f "$dir/pid"
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	pkill -KILL -P "$pid" 2>/dev/null
	kill -KILL "$pid" 2>/dev/null
	return 0
}

# how many letters the database holds
gw_letter_count() {
	gw_ctl "$1" letters list --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

# the daemon's worker process (the supervisor's child): sessions and delivery
gw_child_pid() {
	local pid
	pid=$(cat "$1/pid" 2>/dev/null) || return 1
	pgrep -P "$pid" | head -n1
}

gw_kill9() {
	local dir=$1 pid
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	rm -f "$dir/pid"
	pkill -KILL -P "$pid" 2>/dev/null
	kill -KILL "$pid" 2>/dev/null
	sleep 0.2
	return 0
}

gw_pf_start() {
	local gw=$1 pf=$2
	shift 2
	on_exit gw_stop "$gw"
	on_exit pf_stop "$pf"
	gw_start "$gw" || {
		fail "lettergated starts"
		done_testing
	}
	port=$(free_port)
	pf_start "$pf" "$port" "unix:$(gw_socket "$gw")" "$@" || {
		fail "postfix starts"
		done_testing
	}
}
