# shellcheck shell=bash
# tests/lib/common.sh - helpers for integration scripts (tests/integration/t-*.sh).
#
# Source it first:   . "$(dirname "$0")/../lib/common.sh"
#
# Environment (tests/run.sh sets these; defaults make a script runnable alone):
#   LG_ROOT   repository root (absolute)
#   LG_BUILD  build folder relative to LG_ROOT or absolute (build | build-san)
#   LG_BIN    absolute build folder, derived from the two above
#   LG_TMP    a fresh temp folder for this script (0755, so user postfix can
#             reach sockets in it); created and removed here when not given
#
# Functions:
#   lg_tmpdir [NAME]            new 0755 folder under LG_TMP (NAME, or NAME.XXXXXX
#                               when NAME exists), prints its path
#   free_port                   prints a free TCP port on 127.0.0.1
#   wait_for_socket PATH SECS   0 when PATH is a socket within SECS, else 1
#   wait_for_port PORT SECS [HOST]  0 when HOST:PORT accepts a connection
#   wait_for_file PATH SECS     0 when PATH exists (any type)
#   wait_until SECS CMD...      0 when CMD succeeds within SECS (polls 0.1 s)
#   on_exit CMD...              run CMD at exit (LIFO), whatever the exit path
#   stop_pid PID [SECS]         TERM, wait up to SECS (default 10), then KILL
#   ok DESC / fail DESC [DETAIL...]   count a passed / failed check
#   check DESC CMD...           ok when CMD succeeds, else fail with its output
#   is GOT WANT DESC            string equality check
#   like GOT REGEX DESC         extended-regex match check
#   note TEXT                   print a "# TEXT" line
#   skip_all REASON             exit 77 (skipped), cleanup runs
#   need_cmd CMD...             skip_all unless every CMD is on PATH
#   need_bin NAME...            skip_all unless $LG_BIN/NAME is executable
#   done_testing                summary; exit 0 when no check failed and at
#                               least one passed, else 1
# Counters: LG_OK, LG_FAIL.

[[ -n ${LG_COMMON_SH:-} ]] && return 0
LG_COMMON_SH=1

: "${LG_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${LG_BUILD:=build}"
export LG_ROOT LG_BUILD
if [[ $LG_BUILD == /* ]]; then
	LG_BIN=$LG_BUILD
else
	LG_BIN=$LG_ROOT/$LG_BUILD
fi
export LG_BIN
# Debian's tools first (python3, swaks, postfix, sqlite3): a python3 from
# pyenv, conda or a virtualenv earlier on the caller's PATH may lack the
# packages the tests use, and pyenv's shim alone costs 0.4 s a start.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}

LG_OK=0
LG_FAIL=0
LG_EXIT_CMDS=()

lg__run_exit_cmds() {
	local rc=$? i
	trap - EXIT
	set +e
	for ((i = ${#LG_EXIT_CMDS[@]} - 1; i >= 0; i--)); do
		eval "${LG_EXIT_CMDS[i]}" || true
	done
	exit "$rc"
}
trap lg__run_exit_cmds EXIT
# A signal ends the script through exit, so the EXIT trap cleans up.
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

# on_exit CMD [ARG...]: queue a command for exit; arguments are quoted, so
# on_exit pf_stop "$dir" is safe with any path. A single string argument is
# taken as shell code (on_exit 'kill $pid').
on_exit() {
	if (($# == 1)); then
		LG_EXIT_CMDS+=("$1")
	else
		LG_EXIT_CMDS+=("$(printf '%q ' "$@")")
	fi
}

if [[ -z ${LG_TMP:-} ]]; then
	LG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/lg-test.XXXXXX")
	on_exit rm -rf "$LG_TMP"
fi
chmod 755 "$LG_TMP"
export LG_TMP

note() { printf '# %s\n' "$*"; }

ok() {
	LG_OK=$((LG_OK + 1))
	printf 'ok %d - %s\n' "$((LG_OK + LG_FAIL))" "$1"
}

fail() {
	LG_FAIL=$((LG_FAIL + 1))
	printf 'not ok %d - %s\n' "$((LG_OK + LG_FAIL))" "$1"
	shift
	local line
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
}

check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		fail "$desc" "command: $*" "$out"
	fi
}

is() {
	if [[ $1 == "$2" ]]; then
		ok "$3"
	else
		fail "$3" "got:  '$1'" "want: '$2'"
	fi
}

like() {
	if [[ $1 =~ $2 ]]; then
		ok "$3"
	else
		fail "$3" "got:  '$1'" "want match: /$2/"
	fi
}

done_testing() {
	note "$LG_OK passed, $LG_FAIL failed"
	if ((LG_FAIL == 0 && LG_OK > 0)); then
		exit 0
	fi
	((LG_OK + LG_FAIL == 0)) && note "no checks ran"
	exit 1
}

skip_all() {
	note "SKIP: $*"
	exit 77
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed"
	done
}

need_bin() {
	local b
	for b in "$@"; do
		[[ -x $LG_BIN/$b ]] || skip_all "$LG_BIN/$b not built"
	done
}

lg_tmpdir() {
	local d
	if [[ -n ${1:-} ]]; then
		# always a new folder: with an LG_TMP set by hand and shared by
		# several runs (benchmarks, soaks), a reused "gw" brought the last
		# run's letters into the next one's counts
		d=$LG_TMP/$1
		mkdir "$d" 2>/dev/null || d=$(mktemp -d "$LG_TMP/$1.XXXXXX")
	else
		d=$(mktemp -d "$LG_TMP/d.XXXXXX")
	fi
	chmod 755 "$d"
	printf '%s\n' "$d"
}

# Ports are drawn at random below the Linux ephemeral range (32768-60999),
# so an outgoing connection never holds one, and checked by binding them.
# Ports handed out are remembered for the lifetime of LG_TMP so that two
# calls never return the same port before either is bound.
free_port() {
	local used=$LG_TMP/.ports_used port i
	touch "$used"
	for ((i = 0; i < 200; i++)); do
		port=$((20000 + RANDOM % 12000))
		grep -qx "$port" "$used" && continue
		if /usr/bin/python3 - "$port" <<-'EOF' 2>/dev/null; then
			import socket, sys
			s = socket.socket()
			s.bind(("127.0.0.1", int(sys.argv[1])))
			s.close()
		EOF
			echo "$port" >>"$used"
			printf '%s\n' "$port"
			return 0
		fi
	done
	echo "free_port: no free port found" >&2
	return 1
}

# wait_until SECS CMD...: polls CMD every 0.1 s.
wait_until() {
	local secs=$1 whole frac=000 deadline
	shift
	whole=${secs%%.*}
	[[ $secs == *.* ]] && frac=${secs#*.}000
	deadline=$(($(date +%s%3N) + 10#${whole:-0} * 1000 + 10#${frac:0:3}))
	while :; do
		"$@" && return 0
		(($(date +%s%3N) >= deadline)) && return 1
		sleep 0.1
	done
}

wait_for_socket() { wait_until "${2:-10}" test -S "$1"; }
wait_for_file() { wait_until "${2:-10}" test -e "$1"; }

lg__port_open() { (exec 3<>"/dev/tcp/$2/$1") 2>/dev/null; }
wait_for_port() { wait_until "${2:-10}" lg__port_open "$1" "${3:-127.0.0.1}"; }

lg__pid_alive() { kill -0 "$1" 2>/dev/null; }
lg__pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# stop_pid PID [SECS]: libmilter takes about 5 s to exit after SIGTERM.
stop_pid() {
	local pid=$1 secs=${2:-10}
	[[ -n $pid ]] || return 0
	lg__pid_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	if ! wait_until "$secs" lg__pid_gone "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		wait_until 5 lg__pid_gone "$pid" || true
	fi
	wait "$pid" 2>/dev/null || true
}
