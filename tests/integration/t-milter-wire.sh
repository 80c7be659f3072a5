#!/bin/bash
# t-milter-wire.sh - the daemon reads the milter protocol however the MTA's
# bytes arrive: several commands in one write (as Postfix sends macros,
# headers and the body when it waits for no reply), one byte a write, writes
# of random sizes with a 23 KB body command (more than the read-ahead buffer
# of scripts/libmilter-read-ahead.patch), and a connection closed in the
# middle of a command, after which it serves the next session as before.
# The MTA side is tests/lib/milter_wire.py on the daemon's unix socket.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd python3
need_bin lettergated lettergatectl

GW=$(lg_tmpdir gw)
gw_setup "$GW"
on_exit gw_stop "$GW"
gw_start "$GW" || {
	fail "lettergated starts"
	done_testing
}
sock=$(gw_socket "$GW")
wire() { timeout 120 python3 "$LG_ROOT/tests/lib/milter_wire.py" "$sock" "$@" 2>&1; }

is "$(wire batched writer.one ivan.petrov)" d "commands arriving together: the letter is stored (discard)"
is "$(wire bytewise writer.two ivan.petrov)" d "one byte a write: stored"
for seed in 1 2 3; do
	is "$(wire random "writer.r$seed" maria.sokolova "$seed")" d "writes of random sizes (seed $seed), a 23 KB body command: stored"
done
is "$(gw_letter_count "$GW")" 5 "five letters in the database"
is "$(wire cut writer.three ivan.petrov)" cut "a connection closed in the middle of a header command"
sleep 0.5
kill -0 "$(gw_child_pid "$GW")" 2>/dev/null && ok "the daemon is still there" || fail "the daemon is still there"
is "$(wire batched writer.four oleg.vasin)" d "the next session is served"
is "$(gw_letter_count "$GW")" 6 "nothing stored from the cut connection"
grep -E ': (error|crit|alert|emerg): |runtime error|AddressSanitizer' "$GW/daemon.log" &&
	fail "no error in the daemon's log" || ok "no error in the daemon's log"
done_testing
