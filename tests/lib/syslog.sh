# tests/lib/syslog.sh - what libmilter logs. libmilter reports protocol
# errors only through syslog(3) (never on the daemon's stderr): a callback
# that answered where the negotiated protocol expects no answer made it log
# an error for every header of every letter, and only when sessions ran
# concurrently (libmilter's workers then ran one connection's callbacks in
# different threads).
#
#   syslog_listen         as root, when nothing holds /dev/log: a listener
#                         there for the rest of the test (removed at exit);
#                         else nothing
#   syslog_check_milter   one test line: no "claimed not to reply", abort or
#                         error from lettergate's libmilter since
#                         syslog_listen (a note when not listening)

SYSLOG_LINES=""

syslog_listen() {
	[ "$(id -u)" = 0 ] && [ ! -e /dev/log ] && command -v python3 >/dev/null || return 0
	SYSLOG_LINES=$(lg_tmpdir syslog)/lines
	: >"$SYSLOG_LINES"
	python3 - "$SYSLOG_LINES" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
with open(sys.argv[1], "a") as out:
    while True:
        out.write(s.recv(8192).decode("utf-8", "replace") + "\n")
        out.flush()
PY
	local pid=$!
	on_exit "kill $pid 2>/dev/null; rm -f /dev/log"
	wait_until 10 test -S /dev/log
}

syslog_check_milter() {
	if [ -z "$SYSLOG_LINES" ]; then
		note "libmilter's syslog not checked (not root, or /dev/log in use)"
		return 0
	fi
	sleep 0.2
	local bad
	bad=$(grep -c 'lettergate: .*\(claimed not to reply\|abort\|error\)' "$SYSLOG_LINES")
	is "$bad" 0 "libmilter logged no protocol error ($(wc -l <"$SYSLOG_LINES") syslog lines)"
	[ "$bad" = 0 ] || note "$(grep -m3 'lettergate: ' "$SYSLOG_LINES")"
}
