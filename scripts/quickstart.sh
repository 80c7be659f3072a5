#!/bin/bash
# scripts/quickstart.sh - set up and run lettergate on its embedded defaults
# behind a real local Postfix (the README's first command). Run as root on
# Debian 12.
#
#   scripts/quickstart.sh [start]   install packages, build, (re)start everything
#   scripts/quickstart.sh demo      send a sample Russian letter, wait for it in
#                                   the spool
#   scripts/quickstart.sh status    what is running
#   scripts/quickstart.sh stop      stop lettergated, Postfix and APy
#   scripts/quickstart.sh purge     stop, then delete the quickstart's state
#                                   (database, configuration, spool)
#
# What "start" sets up (re-running it restarts everything cleanly):
#   - system user "lettergate"
#   - $QS_DIR (default /var/lib/lettergate-quickstart): lettergate.conf,
#     db/ (SQLite), rules/, tmp/, logs, the private Postfix (postfix/) and
#     APy (apy/) folders
#   - the sample directory conf/prisoners.example.csv imported
#   - Apertium APy on 127.0.0.1:2737 (ukr->rus, bel->rus)
#   - Postfix on 127.0.0.1:2525, relaying letters.example.org through the
#     milter unix:/run/lettergate/milter.sock, every transport discard:
#   - lettergated -f -c $QS_DIR/lettergate.conf, writing approved letters to
#     /var/spool/lettergate/out as <id>.json and <id>.txt
# Overrides: QS_DIR, QS_PORT (2525), QS_APY_PORT (2737), QS_DOMAIN,
# QS_SOCKET_DIR (/run/lettergate), QS_SPOOL (/var/spool/lettergate/out),
# QS_BUILD (build folder, default build), QS_SKIP_DEPS=1, QS_SKIP_BUILD=1.
set -uo pipefail

LG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$LG_ROOT" || exit 1

QS_DIR=${QS_DIR:-/var/lib/lettergate-quickstart}
QS_PORT=${QS_PORT:-2525}
QS_APY_PORT=${QS_APY_PORT:-2737}
QS_DOMAIN=${QS_DOMAIN:-letters.example.org}
QS_SOCKET_DIR=${QS_SOCKET_DIR:-/run/lettergate}
QS_SPOOL=${QS_SPOOL:-/var/spool/lettergate/out}
QS_USER=lettergate
CONF=$QS_DIR/lettergate.conf
SOCK=$QS_SOCKET_DIR/milter.sock
BUILD=${QS_BUILD:-$LG_ROOT/build}
DAEMON_PID=$QS_DIR/lettergated.pid
DAEMON_LOG=$QS_DIR/lettergated.log

say() { printf 'quickstart: %s\n' "$*"; }
die() {
	printf 'quickstart: ERROR: %s\n' "$*" >&2
	exit 1
}

load_libs() {
	mkdir -p "$QS_DIR/tmp-test"
	# common.sh wants a scratch folder; give it one that outlives us.
	LG_TMP=$QS_DIR/tmp-test
	export LG_TMP
	# shellcheck source=tests/lib/common.sh
	. "$LG_ROOT/tests/lib/common.sh"
	# shellcheck source=tests/lib/postfix.sh
	. "$LG_ROOT/tests/lib/postfix.sh"
	HAVE_APY=0
	if [[ -f $LG_ROOT/tests/lib/apy.sh ]]; then
		# shellcheck source=/dev/null
		. "$LG_ROOT/tests/lib/apy.sh"
		HAVE_APY=1
	fi
}

daemon_pid() {
	local pid
	[[ -r $DAEMON_PID ]] || return 1
	read -r pid <"$DAEMON_PID" || return 1
	[[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
	printf '%s\n' "$pid"
}

stop_all() {
	local pid
	if pid=$(daemon_pid); then
		say "stopping lettergated (pid $pid)"
		stop_pid "$pid" 15
	fi
	rm -f "$DAEMON_PID"
	if [[ -d $QS_DIR/postfix ]]; then
		say "stopping Postfix"
		pf_stop "$QS_DIR/postfix"
	fi
	if ((HAVE_APY)) && [[ -d $QS_DIR/apy ]]; then
		say "stopping APy"
		apy_stop "$QS_DIR/apy"
	fi
	rm -f "$SOCK"
}

write_config() {
	cat >"$CONF.new" <<-EOF
		# written by scripts/quickstart.sh - embedded defaults, except where the
		# quickstart keeps its state. Every key: conf/lettergate.conf, lettergate.conf(5).
		# (GKeyFile: comments start with #, on lines of their own.)
		[gateway]
		domain = $QS_DOMAIN
		database = $QS_DIR/db/lettergate.db
		socket = unix:$SOCK
		user = $QS_USER
		# Postfix's smtpd runs as user postfix: let its group in.
		group = postfix
		socket_mode = 0660
		log = stderr
		tmp_dir = $QS_DIR/tmp

		[translate]
		apertium_url = http://127.0.0.1:$QS_APY_PORT

		[screen]
		rules_dir = $QS_DIR/rules

		[delivery]
		partner = spool
		spool_dir = $QS_SPOOL
	EOF
	chown "root:$QS_USER" "$CONF.new"
	chmod 640 "$CONF.new"
	mv -f "$CONF.new" "$CONF"
}

start_all() {
	local t0 pid
	t0=$(date +%s)
	((EUID == 0)) || die "run me as root (I create a user, folders in /run and /var, and start Postfix)"

	if [[ ${QS_SKIP_DEPS:-0} != 1 ]]; then
		say "installing packages (scripts/deps.sh)"
		"$LG_ROOT/scripts/deps.sh" || die "scripts/deps.sh failed"
	fi
	load_libs
	if [[ ${QS_SKIP_BUILD:-0} != 1 ]]; then
		say "building libmilter with a thread per session (scripts/libmilter.sh)"
		"$LG_ROOT/scripts/libmilter.sh" >"$QS_DIR/libmilter.log" 2>&1 ||
			say "$(tail -n 1 "$QS_DIR/libmilter.log")"
		say "building (make -j2)"
		make -j2 >"$QS_DIR/build.log" 2>&1 || {
			tail -n 30 "$QS_DIR/build.log" >&2
			die "build failed; full log: $QS_DIR/build.log"
		}
	fi
	[[ -x $BUILD/lettergated && -x $BUILD/lettergatectl ]] ||
		die "$BUILD/lettergated or lettergatectl missing after the build"

	stop_all

	if ! id -u "$QS_USER" >/dev/null 2>&1; then
		say "creating system user $QS_USER"
		useradd --system --user-group --home-dir /var/lib/lettergate \
			--no-create-home --shell /usr/sbin/nologin "$QS_USER" ||
			die "useradd $QS_USER failed"
	fi

	mkdir -p "$QS_DIR/db" "$QS_DIR/tmp" "$QS_DIR/rules" "$QS_SOCKET_DIR" "$QS_SPOOL"
	chmod 755 "$QS_DIR"
	chown "$QS_USER:$QS_USER" "$QS_DIR/db" "$QS_DIR/tmp" "$QS_SPOOL"
	chmod 750 "$QS_DIR/db" "$QS_DIR/tmp"
	chmod 755 "$QS_SPOOL"
	# Socket folder: the daemon (after dropping to $QS_USER) may remove its
	# socket; Postfix (group postfix) must reach it.
	chown "$QS_USER:postfix" "$QS_SOCKET_DIR"
	chmod 750 "$QS_SOCKET_DIR"
	rm -f "$QS_DIR/rules/"*.rules
	if compgen -G "$LG_ROOT/conf/rules/*.rules" >/dev/null; then
		cp "$LG_ROOT"/conf/rules/*.rules "$QS_DIR/rules/"
	fi
	chmod 755 "$QS_DIR/rules"
	write_config

	say "checking the configuration (lettergated -n)"
	"$BUILD/lettergated" -n -c "$CONF" || die "lettergated -n -c $CONF refused the configuration"

	say "importing conf/prisoners.example.csv"
	if ! "$BUILD/lettergatectl" -c "$CONF" prisoner import "$LG_ROOT/conf/prisoners.example.csv"; then
		# A second import of the same file may be refused; fine if present.
		"$BUILD/lettergatectl" -c "$CONF" prisoner list --json 2>/dev/null |
			grep -q '"ivan.petrov"' || die "prisoner import failed"
		say "(directory already imported)"
	fi
	# lettergatectl ran as root: the daemon runs as $QS_USER.
	chown -R "$QS_USER:$QS_USER" "$QS_DIR/db"

	if ((HAVE_APY)); then
		say "starting Apertium APy on 127.0.0.1:$QS_APY_PORT"
		if ! apy_start "$QS_DIR/apy" "$QS_APY_PORT"; then
			say "APy did not start (log: $QS_DIR/apy/apy.log); Ukrainian and Belarusian letters will be held or tempfailed"
		fi
	else
		say "tests/lib/apy.sh not found: skipping Apertium APy (no ukr/bel translation)"
	fi

	say "starting lettergated"
	setsid "$BUILD/lettergated" -f -c "$CONF" >"$DAEMON_LOG" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$DAEMON_PID"
	if ! wait_for_socket "$SOCK" 20; then
		tail -n 30 "$DAEMON_LOG" >&2
		kill -0 "$pid" 2>/dev/null || die "lettergated exited; log: $DAEMON_LOG"
		die "lettergated did not create $SOCK within 20 s; log: $DAEMON_LOG"
	fi

	say "starting Postfix on 127.0.0.1:$QS_PORT (relay domain $QS_DOMAIN, milter unix:$SOCK)"
	pf_start "$QS_DIR/postfix" "$QS_PORT" "unix:$SOCK" "$QS_DOMAIN" ||
		die "Postfix did not start; see $QS_DIR/postfix/log/"

	say "ready in $(($(date +%s) - t0)) s"
	cat <<-EOF

		lettergate is running:
		  lettergated  pid $pid, log $DAEMON_LOG, config $CONF
		  Postfix      127.0.0.1:$QS_PORT, log $QS_DIR/postfix/log/maillog
		  APy          $( ((HAVE_APY)) && echo "127.0.0.1:$QS_APY_PORT" || echo "not started")
		  prisoners    $(cut -d, -f1 "$LG_ROOT/conf/prisoners.example.csv" | tail -n +2 | paste -sd' ')

		Send a letter:
		  swaks --server 127.0.0.1:$QS_PORT --from you@example.net \\
		    --to ivan.petrov@$QS_DOMAIN --header 'Subject: Письмо' \\
		    --body 'Здравствуйте, Иван! Мы помним о вас и желаем вам сил и здоровья.'
		Then read the partner's outbox (the delivery worker runs every second):
		  ls $QS_SPOOL
		Or let me do both:  scripts/quickstart.sh demo
		More: $BUILD/lettergatectl -c $CONF letters list
		Stop: scripts/quickstart.sh stop
	EOF
}

demo() {
	local writer n0 n1 out
	load_libs
	daemon_pid >/dev/null || die "not running; start with: scripts/quickstart.sh"
	writer="demo-$(date +%s)-$RANDOM@example.net"
	n0=$(find "$QS_SPOOL" -maxdepth 1 -name '*.json' | wc -l)
	say "sending a Russian letter from $writer to ivan.petrov@$QS_DOMAIN"
	if ! out=$(swaks --server "127.0.0.1:$QS_PORT" --from "$writer" \
		--to "ivan.petrov@$QS_DOMAIN" --header 'Subject: Письмо' \
		--header 'Content-Type: text/plain; charset=UTF-8' \
		--body "Здравствуйте, Иван! Мы помним о вас и желаем вам сил и здоровья. Пишу вам из Берлина, у нас всё хорошо. ($(date +%T))" 2>&1); then
		printf '%s\n' "$out" | tail -n 15
		die "the message was not accepted"
	fi
	printf '%s\n' "$out" | grep -E '^(<-|<\*\*) +[245][0-9][0-9] ' | tail -n 3
	if wait_until 20 eval "(( \$(find '$QS_SPOOL' -maxdepth 1 -name '*.json' | wc -l) > $n0 ))"; then
		n1=$(find "$QS_SPOOL" -maxdepth 1 -name '*.json' -newer "$DAEMON_PID" -printf '%T@ %p\n' | sort -n | tail -n 1 | cut -d' ' -f2)
		say "the letter is in the outbox: $n1"
		[[ -f ${n1%.json}.txt ]] && cat "${n1%.json}.txt"
	else
		say "no new letter in $QS_SPOOL after 20 s (held for a moderator? see: $BUILD/lettergatectl -c $CONF letters list)"
		tail -n 10 "$DAEMON_LOG"
		return 1
	fi
}

status() {
	local pid
	load_libs
	if pid=$(daemon_pid); then say "lettergated running, pid $pid"; else say "lettergated not running"; fi
	if pid=$(pf__master_pid "$QS_DIR/postfix" 2>/dev/null); then
		say "Postfix running on 127.0.0.1:$QS_PORT, master pid $pid"
	else
		say "Postfix not running"
	fi
	if [[ -r $QS_DIR/apy/apy.pid ]] && kill -0 "$(cat "$QS_DIR/apy/apy.pid")" 2>/dev/null; then
		say "APy running on 127.0.0.1:$QS_APY_PORT"
	else
		say "APy not running"
	fi
	say "letters in the outbox: $(find "$QS_SPOOL" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l)"
}

case "${1:-start}" in
start) start_all ;;
stop)
	load_libs
	stop_all
	say "stopped"
	;;
purge)
	load_libs
	stop_all
	rm -rf "$QS_DIR" "$QS_SPOOL" "$QS_SOCKET_DIR"
	say "stopped; removed $QS_DIR, $QS_SPOOL and $QS_SOCKET_DIR (user $QS_USER kept)"
	;;
demo) demo ;;
status) status ;;
*)
	echo "usage: $0 [start|demo|status|stop|purge]" >&2
	exit 2
	;;
esac
