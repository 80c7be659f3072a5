# shellcheck shell=bash
# tests/lib/sendmail.sh - a private Sendmail 8.17 on 127.0.0.1, run from the
# extracted Debian packages, beside the installed Postfix (sendmail-bin
# conflicts with postfix, so it is never installed).
#
#   sm_install                  makes sure an extracted Sendmail is in
#       SM_ROOT (default $LG_ROOT/tests/out/sendmail-root, shared by runs):
#       apt-get download sendmail-bin sendmail-base sendmail-cf libwrap0 (m4
#       too when /usr/bin/m4 is missing), dpkg-deb -x each into SM_ROOT, and
#       drops the setgid bit of the binary (a setgid program ignores
#       LD_LIBRARY_PATH, which finds the extracted libwrap). Returns 1 when
#       the packages cannot be had (tests then skip).
#   sm_start DIR PORT [MILTER] [RELAY_DOMAIN]
#       Writes DIR/sendmail.mc, builds DIR/sendmail.cf with m4 from the
#       extracted sendmail-cf, and runs `sendmail -bD` (foreground daemon) on
#       127.0.0.1:PORT only (no MSA on 587) with a private queue DIR/mqueue.
#       Every message for a remote domain is relayed to a local smtp-sink
#       (Postfix's), which keeps it in SM_CAPTURE (a folder) when set, else
#       throws it away. MILTER: a socket path, unix:PATH or inet:PORT@HOST;
#       it is INPUT_MAIL_FILTER with F=T (tempfail when the milter is down).
#   sm_stop DIR                 stops sendmail and the sink; safe to call twice
#   sm_captured DIR             capture files, oldest first
#   sm_queue_count DIR          messages in DIR/mqueue (qf files)
#   sm_flush DIR                runs the queue once now (sendmail -q)
#   sm_bin                      prints the sendmail binary's path
#   sm_safe_dir                 makes and prints a new 0755 folder with no
#       world-writable folder above it (/run, else tests/out): Sendmail
#       refuses a milter socket below /tmp ("unsafe: World writable
#       directory"); the caller removes it
# Sendmail logs only to syslog, which these machines lack: sm_start passes
# SM_DEBUG (e.g. "-d0.1") and keeps stdout/stderr in DIR/sendmail.log.

[[ -n ${LG_SENDMAIL_SH:-} ]] && return 0
LG_SENDMAIL_SH=1

SM_ROOT=${SM_ROOT:-$LG_ROOT/tests/out/sendmail-root}
SM_SMTP_SINK=${SM_SMTP_SINK:-/usr/sbin/smtp-sink}

sm_bin() { printf '%s\n' "$SM_ROOT/usr/libexec/sendmail/sendmail"; }

# In a session of its own: sendmail signals its process group on some exits.
sm__run() {
	LD_LIBRARY_PATH=$SM_ROOT/usr/lib/x86_64-linux-gnu:$SM_ROOT/lib/x86_64-linux-gnu \
		setsid -w "$(sm_bin)" "$@"
}

sm__runs() {
	local out
	# the version lines come first; the hostname lookup after them may wait
	# for DNS: do not wait for it
	out=$(LD_LIBRARY_PATH=$SM_ROOT/usr/lib/x86_64-linux-gnu:$SM_ROOT/lib/x86_64-linux-gnu \
		timeout -s KILL 3 "$(sm_bin)" -d0.1 -bt -C /dev/null </dev/null 2>&1)
	[[ $out == *MILTER* ]]
}

sm_install() {
	local tmp pkgs=(sendmail-bin sendmail-base sendmail-cf libwrap0) f
	if [[ -x $(sm_bin) && -f $SM_ROOT/usr/share/sendmail/cf/m4/cf.m4 ]]; then
		sm__runs && return 0
	fi
	command -v m4 >/dev/null || pkgs+=(m4)
	tmp=$(mktemp -d) || return 1
	chmod 755 "$tmp"
	if ! (cd "$tmp" && apt-get download "${pkgs[@]}") >"$tmp/download.log" 2>&1; then
		echo "sm_install: apt-get download ${pkgs[*]} failed:" >&2
		tail -n 5 "$tmp/download.log" >&2
		rm -rf "$tmp"
		return 1
	fi
	mkdir -p "$SM_ROOT"
	for f in "$tmp"/*.deb; do
		dpkg-deb -x "$f" "$SM_ROOT" || { rm -rf "$tmp"; return 1; }
	done
	rm -rf "$tmp"
	chmod g-s "$(sm_bin)"
	[[ -x $SM_ROOT/usr/bin/m4 ]] && ! command -v m4 >/dev/null && export PATH=$PATH:$SM_ROOT/usr/bin
	sm__runs || {
		echo "sm_install: the extracted sendmail does not run:" >&2
		sm__run -d0.1 -bt -C /dev/null </dev/null 2>&1 | head -n 5 >&2
		return 1
	}
}

sm_safe_dir() {
	local base d
	for base in /run "$LG_ROOT/tests/out"; do
		[[ -d $base && -w $base ]] || continue
		d=$(mktemp -d "$base/lg-sm.XXXXXX") || continue
		chmod 755 "$d"
		printf '%s\n' "$d"
		return 0
	done
	return 1
}

sm__milter_spec() {
	local m=$1
	case $m in
	"") ;;
	/*) printf 'local:%s\n' "$m" ;;
	unix:*) printf 'local:%s\n' "${m#unix:}" ;;
	inet:*@*) printf '%s\n' "$m" ;;
	*)
		echo "sm_start: bad milter spec '$m'" >&2
		return 1
		;;
	esac
}

sm_start() {
	local dir=$1 port=$2 milter=${3:-} relay=${4:-letters.example.org}
	local spec sink_port cf cap="" m4bin
	[[ -n $dir && -n $port ]] || { echo "usage: sm_start DIR PORT [MILTER] [RELAY_DOMAIN]" >&2; return 2; }
	sm_install || return 1
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd -P)
	sm_stop "$dir"
	spec=$(sm__milter_spec "$milter") || return 1
	rm -rf "${dir:?}/mqueue"
	mkdir -p "$dir/mqueue"
	chmod 700 "$dir/mqueue"
	chmod 755 "$dir"
	: >"$dir/aliases"
	: >"$dir/statistics"
	echo "$port" >"$dir/sm.port"

	sink_port=$(free_port) || return 1
	if [[ -n ${SM_CAPTURE:-} ]]; then
		mkdir -p "$SM_CAPTURE"
		cap=$(cd "$SM_CAPTURE" && pwd -P)
		chmod 777 "$cap"
		echo "$cap" >"$dir/sm.capture"
		"$SM_SMTP_SINK" -u nobody -h sink.lettergate.test -d "$cap/%Y%m%d%H%M%S." \
			"127.0.0.1:$sink_port" 100 >"$dir/sink.log" 2>&1 &
	else
		rm -f "$dir/sm.capture"
		"$SM_SMTP_SINK" -u nobody -h sink.lettergate.test "127.0.0.1:$sink_port" 100 \
			>"$dir/sink.log" 2>&1 &
	fi
	echo $! >"$dir/sink.pid"
	wait_for_port "$sink_port" 10 || { echo "sm_start: smtp-sink did not listen" >&2; return 1; }

	cf=$SM_ROOT/usr/share/sendmail/cf
	cat >"$dir/sendmail.mc" <<-EOF
		divert(-1)
		# private test instance written by tests/lib/sendmail.sh
		divert(0)dnl
		VERSIONID(\`lettergate test instance')dnl
		OSTYPE(\`linux')dnl
		define(\`confDOMAIN_NAME', \`mx.lettergate.test')dnl
		define(\`confDONT_PROBE_INTERFACES', \`True')dnl
		define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
		define(\`QUEUE_DIR', \`$dir/mqueue')dnl
		define(\`STATUS_FILE', \`$dir/statistics')dnl
		define(\`ALIAS_FILE', \`$dir/aliases')dnl
		define(\`HELP_FILE', \`$SM_ROOT/etc/mail/helpfile')dnl
		define(\`confPID_FILE', \`$dir/sendmail.pid')dnl
		define(\`confCW_FILE', \`$dir/local-host-names')dnl
		define(\`confSERVICE_SWITCH_FILE', \`$dir/service.switch')dnl
		define(\`confHOSTS_FILE', \`$dir/hosts')dnl
		define(\`confTO_IDENT', \`0s')dnl
		define(\`confTO_QUEUERETURN', \`1h')dnl
		define(\`confMIN_QUEUE_AGE', \`0s')dnl
		define(\`confQUEUE_LA', \`100')dnl
		define(\`confREFUSE_LA', \`100')dnl
		define(\`confDELAY_LA', \`0')dnl
		define(\`confMAX_DAEMON_CHILDREN', \`0')dnl
		define(\`confCONNECTION_RATE_THROTTLE', \`0')dnl
		define(\`confMAX_MESSAGE_SIZE', \`104857600')dnl
		define(\`confPRIVACY_FLAGS', \`authwarnings')dnl
		define(\`confDEF_USER_ID', \`nobody:nogroup')dnl
		define(\`SMART_HOST', \`relay:[127.0.0.1]')dnl
		define(\`RELAY_MAILER_ARGS', \`TCP \$h $sink_port')dnl
		define(\`confMILTER_LOG_LEVEL', \`0')dnl
		define(\`confDONT_BLAME_SENDMAIL', \`GroupWritableDirPathSafe')dnl
		FEATURE(\`nocanonify')dnl
		FEATURE(\`no_default_msa')dnl
		FEATURE(\`accept_unresolvable_domains')dnl
		FEATURE(\`accept_unqualified_senders')dnl
		DAEMON_OPTIONS(\`Family=inet, Name=MTA-v4, Port=$port, Addr=127.0.0.1')dnl
		${spec:+INPUT_MAIL_FILTER(\`lettergate', \`S=$spec, F=T, T=C:10s;S:60s;R:120s;E:5m')dnl}
		MAILER(\`local')dnl
		MAILER(\`smtp')dnl
	EOF
	: >"$dir/local-host-names"
	# no DNS: names come from a private hosts file only
	printf 'hosts files\naliases files\n' >"$dir/service.switch"
	printf '127.0.0.1 mx.lettergate.test localhost %s\n' "$(hostname)" >"$dir/hosts"
	m4bin=$(command -v m4 || echo "$SM_ROOT/usr/bin/m4")
	if ! "$m4bin" -D_CF_DIR_="$cf/" "$cf/m4/cf.m4" "$dir/sendmail.mc" >"$dir/sendmail.cf" 2>"$dir/m4.log"; then
		echo "sm_start: m4 failed:" >&2
		cat "$dir/m4.log" >&2
		return 1
	fi
	# Relaying for 127.0.0.1 is allowed by default; the gateway's domain
	# ($relay) is a remote one, relayed to the sink like every other.
	# shellcheck disable=SC2086
	(
		export LD_LIBRARY_PATH=$SM_ROOT/usr/lib/x86_64-linux-gnu:$SM_ROOT/lib/x86_64-linux-gnu
		# A host name without a dot makes sendmail sleep 60 s at start
		# ("unable to qualify my own domain name"): run it in a UTS
		# namespace of its own named mx.lettergate.test.
		if unshare -u true 2>/dev/null; then
			exec unshare -u sh -c 'hostname mx.lettergate.test && exec setsid "$@"' sh \
				"$(sm_bin)" -C "$dir/sendmail.cf" -bD -q10s ${SM_DEBUG:-}
		fi
		exec setsid "$(sm_bin)" -C "$dir/sendmail.cf" -bD -q10s ${SM_DEBUG:-}
	) >"$dir/sendmail.log" 2>&1 </dev/null &
	echo $! >"$dir/sm.pid"
	if ! wait_for_port "$port" "${SM_START_WAIT:-75}"; then
		echo "sm_start: sendmail does not listen on 127.0.0.1:$port" >&2
		tail -n 20 "$dir/sendmail.log" >&2
		return 1
	fi
	return 0
}

sm_stop() {
	local dir=$1 pid
	[[ -d $dir ]] || return 0
	for f in sm.pid sink.pid; do
		[[ -f $dir/$f ]] || continue
		read -r pid <"$dir/$f" || pid=""
		rm -f "$dir/$f"
		[[ -n $pid ]] || continue
		kill -TERM "$pid" 2>/dev/null || continue
		wait_until 10 eval "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || true
	done
	# sendmail's own children (queue runners, sessions) write the pid file
	if [[ -f $dir/sendmail.pid ]]; then
		read -r pid <"$dir/sendmail.pid" || pid=""
		[[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null
		rm -f "$dir/sendmail.pid"
	fi
	return 0
}

sm_captured() {
	local cap
	cap=$(cat "$1/sm.capture" 2>/dev/null) || return 0
	find "$cap" -maxdepth 1 -type f -name '[0-9]*.*' | sort
}

sm_queue_count() { find "$1/mqueue" -type f -name 'qf*' 2>/dev/null | wc -l; }

sm_flush() { sm__run -C "$1/sendmail.cf" -q >/dev/null 2>&1; }
