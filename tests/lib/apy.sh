# tests/lib/apy.sh - start and stop a private Apertium APy on 127.0.0.1.
# Source it:   . tests/lib/apy.sh
#   apy_start DIR [PORT]   start APy (idempotent: a live one in DIR is reused);
#                          PORT defaults to a free port. Sets APY_PORT and
#                          APY_URL, writes DIR/apy.pid, DIR/apy.port,
#                          DIR/apy.log and DIR/modes/ (ukr-rus fixed:
#                          real-components.md). Waits for /listPairs, at most
#                          APY_WAIT seconds (default 30). Returns non-zero on
#                          failure (log tail on stderr).
#   apy_stop DIR           stop the APy started in DIR (by its pid only).
#   apy_free_port          print a free TCP port on 127.0.0.1.
# Needs apertium-apy, apertium-rus-ukr, apertium-bel-rus, curl.

_APY_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

apy_free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

_apy_alive() { # DIR
	local pid
	[ -f "$1/apy.pid" ] || return 1
	pid=$(cat "$1/apy.pid")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

_apy_modes() { # DIR
	local m="$1/modes"
	mkdir -p "$m" || return 1
	# ukr-rus: the packaged .prob file is the Russian tagger's and crashes
	# apertium-tagger; run cg-proc in disambiguating mode instead.
	sed -E "s#cg-proc -w '([^']*rlx\.bin)' \| apertium-tagger -g \\\$2 '[^']*\.prob'#cg-proc -w -1 -n '\1'#" \
		/usr/share/apertium/modes/ukr-rus.mode >"$m/ukr-rus.mode" || return 1
	grep -q 'apertium-tagger' "$m/ukr-rus.mode" && { echo "apy.sh: ukr-rus mode fix did not apply" >&2; return 1; }
	cp /usr/share/apertium/modes/bel-rus.mode "$m/bel-rus.mode" || return 1
}

apy_start() { # DIR [PORT]
	local dir="$1" port="${2:-}" wait="${APY_WAIT:-30}" i pid
	[ -n "$dir" ] || { echo "usage: apy_start DIR [PORT]" >&2; return 2; }
	mkdir -p "$dir" || return 1
	if _apy_alive "$dir"; then
		APY_PORT=$(cat "$dir/apy.port")
		APY_URL="http://127.0.0.1:$APY_PORT"
		export APY_PORT APY_URL
		curl -fsS -m 2 "$APY_URL/listPairs" >/dev/null 2>&1 && return 0
	else
		[ -n "$port" ] || port=$(apy_free_port)
		_apy_modes "$dir" || return 1
		echo "$port" >"$dir/apy.port"
		LANG=C.UTF-8 LC_ALL=C.UTF-8 setsid /usr/bin/python3 "$_APY_LIB_DIR/apy_wrapper.py" \
			-p "$port" -j1 "$dir/modes" >"$dir/apy.log" 2>&1 </dev/null &
		echo $! >"$dir/apy.pid"
		APY_PORT=$port
		APY_URL="http://127.0.0.1:$port"
		export APY_PORT APY_URL
	fi
	for ((i = 0; i < wait * 10; i++)); do
		if curl -fsS -m 1 "$APY_URL/listPairs" 2>/dev/null | grep -q 'ukr'; then
			return 0
		fi
		_apy_alive "$dir" || break
		sleep 0.1
	done
	echo "apy.sh: APy did not answer on $APY_URL" >&2
	tail -n 20 "$dir/apy.log" >&2 2>/dev/null
	apy_stop "$dir"
	return 1
}

apy_stop() { # DIR
	local dir="$1" pid i
	[ -f "$dir/apy.pid" ] || return 0
	pid=$(cat "$dir/apy.pid")
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
	fi
	rm -f "$dir/apy.pid"
	return 0
}
