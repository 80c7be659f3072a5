# shellcheck shell=bash
# tests/lib/postfix.sh - a private Postfix instance in a folder of its own,
# listening on 127.0.0.1 only (recipe: ../shared/notes/real-components.md).
#
#   pf_start DIR PORT [MILTER] [RELAY_DOMAIN]
#       Writes DIR/etc/{main,master}.cf and starts Postfix with smtpd on
#       127.0.0.1:PORT. MILTER: "" (no milter), a socket path, unix:PATH,
#       inet:HOST:PORT (Postfix form) or inet:PORT@HOST (libmilter form).
#       RELAY_DOMAIN (default letters.example.org) is relayed; every transport
#       is discard: unless PF_CAPTURE is set. milter_default_action = tempfail,
#       so with the milter down clients get 451 4.7.1.
#       Returns non-zero (log tail on stderr) when Postfix does not come up.
#   pf_stop DIR              stops it (postfix stop, then KILL of the master and
#                            of every process still working in DIR/spool), and
#                            the capture sink; safe to call twice
#   pf_wait_queue_empty DIR SECS   0 when maildrop, incoming, active and
#                            deferred are empty within SECS (default 30)
#   pf_log DIR               prints the instance's maillog
#   pf_port DIR              prints the smtpd port
#   pf_queue_count DIR [QUEUE...]  files in the queues (default: the four above)
#   pf_flush DIR             retry deferred mail now
#   pf_postconf DIR 'key = value'...  change main.cf (reloads when running)
#   pf_sendmail DIR ARGS...  Postfix's sendmail(1) for this instance (as root)
#   pf_captured DIR          capture files, one path a line, oldest first
#   pf_wait_captured DIR N SECS   0 when at least N messages are captured
#   pf_send PORT FROM TO MSGID TEXT [SWAKS_ARG...]  a plain UTF-8 letter
#                            (Subject $PF_SUBJECT or "Письмо", Message-Id
#                            <MSGID@example.net>) to 127.0.0.1:PORT with swaks
#                            (timeout $PF_TIMEOUT or 30 s); prints the dialogue
#
# Environment read by pf_start:
#   PF_CAPTURE=CAPDIR   start smtp-sink on a free port; default_transport and
#                       relay_transport deliver there with smtp:, and each
#                       message lands in CAPDIR as one file: X-Mail-Args,
#                       X-Rcpt-Args (one per recipient) etc., then the message
#                       as received. local/virtual stay discard:.
#   PF_MAIN_EXTRA       extra main.cf lines ("key = value", one a line), last
#                       so they override.
# Postfix runs as user postfix: DIR, the capture folder and the milter
# socket's folder are chmod'ed so that it can reach them (pf_start makes the
# socket's folder if missing).

[[ -n ${LG_POSTFIX_SH:-} ]] && return 0
LG_POSTFIX_SH=1

PF_POSTFIX=${PF_POSTFIX:-/usr/sbin/postfix}
PF_POSTCONF=${PF_POSTCONF:-/usr/sbin/postconf}
PF_SMTP_SINK=${PF_SMTP_SINK:-/usr/sbin/smtp-sink}

pf__milter_spec() {
	local m=$1
	case $m in
	"") ;;
	/*) printf 'unix:%s\n' "$m" ;;
	unix:*) printf '%s\n' "$m" ;;
	inet:*@*)
		m=${m#inet:}
		printf 'inet:%s:%s\n' "${m#*@}" "${m%@*}"
		;;
	inet:*) printf '%s\n' "$m" ;;
	*)
		echo "pf_start: bad milter spec '$m'" >&2
		return 1
		;;
	esac
}

# Lets user postfix traverse every folder above PATH that lacks it.
pf__let_postfix_in() {
	local d=$1
	while [[ $d != / && -n $d ]]; do
		if [[ -d $d ]]; then
			case $(stat -c %A "$d") in
			*x | *t) ;;
			*) chmod o+x "$d" ;;
			esac
		fi
		d=$(dirname "$d")
	done
}

pf__master_pid() {
	local f=$1/spool/pid/master.pid pid
	[[ -r $f ]] || return 1
	read -r pid <"$f" || return 1
	[[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
	printf '%s\n' "$pid"
}

# Postfix daemons chdir to the queue directory: find them by their cwd.
pf__spool_pids() {
	local spool
	spool=$(cd "$1/spool" 2>/dev/null && pwd -P) || return 0
	find /proc/[0-9]*/cwd -maxdepth 0 \( -lname "$spool" -o -lname "$spool/*" \) \
		-printf '%h\n' 2>/dev/null | cut -d/ -f3
	return 0
}

pf_port() { cat "$1/pf.port"; }

pf_start() {
	local dir=$1 port=$2 milter=${3:-} relay=${4:-letters.example.org}
	local spec cap="" sink_port="" deliver="" t
	if [[ -z $dir || -z $port ]]; then
		echo "usage: pf_start DIR PORT [MILTER] [RELAY_DOMAIN]" >&2
		return 2
	fi
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd -P)
	[[ -f $dir/etc/main.cf ]] && pf_stop "$dir"
	spec=$(pf__milter_spec "$milter") || return 1
	# Another listener would answer in our place and hide a failed start.
	if lg__port_open "$port" 127.0.0.1; then
		echo "pf_start: 127.0.0.1:$port is already in use" >&2
		return 1
	fi
	rm -rf "${dir:?}/etc" "$dir/spool" "$dir/data" "$dir/log"
	mkdir -p "$dir/etc" "$dir/spool" "$dir/data" "$dir/log"
	chown postfix:postfix "$dir/data"
	chmod 755 "$dir"
	pf__let_postfix_in "$dir"
	if [[ $spec == unix:* ]]; then
		mkdir -p "$(dirname "${spec#unix:}")"
		pf__let_postfix_in "$(dirname "${spec#unix:}")"
	fi
	echo "$port" >"$dir/pf.port"
	rm -f "$dir/pf.capture"

	if [[ -n ${PF_CAPTURE:-} ]]; then
		mkdir -p "$PF_CAPTURE"
		cap=$(cd "$PF_CAPTURE" && pwd -P)
		chmod 777 "$cap"
		pf__let_postfix_in "$cap"
		sink_port=$(free_port) || return 1
		# -u nobody: the dump files belong to nobody; 100: listen backlog.
		"$PF_SMTP_SINK" -u nobody -h sink.lettergate.test -d "$cap/%Y%m%d%H%M%S." \
			"127.0.0.1:$sink_port" 100 >"$dir/log/sink.log" 2>&1 &
		echo $! >"$dir/sink.pid"
		echo "$cap" >"$dir/pf.capture"
		if ! wait_for_port "$sink_port" 10; then
			echo "pf_start: smtp-sink did not listen on $sink_port" >&2
			cat "$dir/log/sink.log" >&2
			return 1
		fi
		deliver="smtp:[127.0.0.1]:$sink_port"
	fi

	cat >"$dir/etc/main.cf" <<-EOF
		# private test instance written by tests/lib/postfix.sh
		compatibility_level = 3.6
		queue_directory = $dir/spool
		data_directory = $dir/data
		myhostname = mx.lettergate.test
		mydomain = lettergate.test
		myorigin = \$myhostname
		mydestination = localhost
		relay_domains = $relay
		inet_interfaces = loopback-only
		inet_protocols = ipv4
		mynetworks = 127.0.0.0/8
		relayhost =
		default_transport = ${deliver:-discard:default}
		relay_transport = ${deliver:-discard:relay}
		local_transport = discard:local
		virtual_transport = discard:virtual
		local_recipient_maps =
		alias_maps =
		alias_database =
		biff = no
		append_dot_mydomain = no
		smtpd_peername_lookup = no
		smtpd_banner = \$myhostname ESMTP
		maillog_file_prefixes = /var, /dev/stdout, $dir
		maillog_file = $dir/log/maillog
		message_size_limit = 104857600
		mailbox_size_limit = 0
		queue_run_delay = 1s
		minimal_backoff_time = 1s
		maximal_backoff_time = 10s
		smtpd_error_sleep_time = 0
		in_flow_delay = 0
		delay_warning_time = 0
		milter_default_action = tempfail
	EOF
	if [[ -n $spec ]]; then
		printf '%s\n' "smtpd_milters = $spec" "non_smtpd_milters = \$smtpd_milters" \
			>>"$dir/etc/main.cf"
	fi
	if [[ -n ${PF_MAIN_EXTRA:-} ]]; then
		printf '%s\n' "$PF_MAIN_EXTRA" >>"$dir/etc/main.cf"
	fi

	cp /usr/share/postfix/master.cf.dist "$dir/etc/master.cf"
	"$PF_POSTCONF" -c "$dir/etc" -F '*/*/chroot = n'
	"$PF_POSTCONF" -c "$dir/etc" -MX smtp/inet
	"$PF_POSTCONF" -c "$dir/etc" -M \
		"127.0.0.1:$port/inet = 127.0.0.1:$port inet n - n - - smtpd"

	# "postfix start" runs "postfix check" itself.
	if ! "$PF_POSTFIX" -c "$dir/etc" start >"$dir/log/start.log" 2>&1; then
		echo "pf_start: postfix failed to start in $dir" >&2
		cat "$dir/log/start.log" >&2
		return 1
	fi
	t=15
	if ! wait_for_port "$port" "$t" || ! pf__master_pid "$dir" >/dev/null; then
		echo "pf_start: nothing listens on 127.0.0.1:$port after ${t}s" >&2
		cat "$dir/log/start.log" >&2
		tail -n 30 "$dir/log/maillog" >&2 2>/dev/null
		return 1
	fi
	return 0
}

pf_stop() {
	local dir=$1 pid pids sink
	[[ -d $dir ]] || return 0
	if [[ -f $dir/etc/main.cf ]] && pid=$(pf__master_pid "$dir"); then
		# Bounded: a wedged instance must not hang the test that stops it.
		timeout -k 5 20 "$PF_POSTFIX" -c "$dir/etc" stop >/dev/null 2>&1 || true
		# The master takes about 1 s to exit; it leads its process group.
		if ! wait_until 10 eval "! kill -0 $pid 2>/dev/null"; then
			kill -KILL -- "-$pid" "$pid" 2>/dev/null || true
		fi
	fi
	# Whatever still works in this instance's spool (a wedged smtpd, a
	# master whose pid file is gone).
	mapfile -t pids < <(pf__spool_pids "$dir")
	if ((${#pids[@]} > 0)); then
		kill -KILL "${pids[@]}" 2>/dev/null || true
		wait_until 5 eval "[[ -z \$(pf__spool_pids '$dir') ]]" || true
	fi
	if [[ -f $dir/sink.pid ]]; then
		read -r sink <"$dir/sink.pid" || sink=""
		if [[ -n $sink ]]; then
			kill -TERM "$sink" 2>/dev/null || true
			wait_until 5 eval "! kill -0 $sink 2>/dev/null" ||
				kill -KILL "$sink" 2>/dev/null || true
			wait "$sink" 2>/dev/null || true
		fi
		rm -f "$dir/sink.pid"
	fi
	return 0
}

pf_queue_count() {
	local dir=$1 q n=0 c
	shift
	(($# == 0)) && set -- maildrop incoming active deferred
	for q in "$@"; do
		[[ -d $dir/spool/$q ]] || continue
		c=$(find "$dir/spool/$q" -type f | wc -l)
		n=$((n + c))
	done
	printf '%s\n' "$n"
}

pf_wait_queue_empty() {
	local dir=$1 secs=${2:-30}
	if wait_until "$secs" eval "[[ \$(pf_queue_count '$dir') == 0 ]]"; then
		return 0
	fi
	echo "pf_wait_queue_empty: $(pf_queue_count "$dir") messages still queued after ${secs}s" >&2
	"${PF_POSTFIX%/postfix}/postqueue" -c "$dir/etc" -p >&2 2>/dev/null || true
	return 1
}

pf_log() { cat "$1/log/maillog" 2>/dev/null || true; }

pf_flush() { "${PF_POSTFIX%/postfix}/postqueue" -c "$1/etc" -f; }

pf_postconf() {
	local dir=$1
	shift
	"$PF_POSTCONF" -c "$dir/etc" -e "$@" || return 1
	if pf__master_pid "$dir" >/dev/null; then
		"$PF_POSTFIX" -c "$dir/etc" reload >/dev/null 2>&1
	fi
}

pf_sendmail() {
	local dir=$1
	shift
	/usr/sbin/sendmail -C "$dir/etc" "$@"
}

pf_captured() {
	local cap
	cap=$(cat "$1/pf.capture" 2>/dev/null) || return 0
	# Names start with a timestamp: sorted by name is oldest first.
	find "$cap" -maxdepth 1 -type f -name '[0-9]*.*' | sort
}

pf_wait_captured() {
	local dir=$1 n=$2 secs=${3:-30}
	wait_until "$secs" eval "(( \$(pf_captured '$dir' | wc -l) >= $n ))"
}

pf_send() {
	local port=$1 from=$2 to=$3 mid=$4 text=$5
	shift 5
	swaks --server "127.0.0.1:$port" --from "$from" --to "$to" \
		--header "Subject: ${PF_SUBJECT:-Письмо}" --header 'Content-Type: text/plain; charset=utf-8' \
		--header "Message-Id: <$mid@example.net>" --timeout "${PF_TIMEOUT:-30}" --body "$text" "$@" 2>&1
}
