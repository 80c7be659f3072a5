#!/bin/bash
# t-deliver-yield.sh - delivery yields to SMTP sessions ([delivery]
# yield_seconds, yield_idle_percent): while a message is in progress (MAIL
# FROM given, not yet ended) a stored letter waits; it is delivered as soon
# as the session ends, and after yield_seconds even when the session never
# ends. In the gaps between the messages of a stream it waits while the CPUs
# are busy (a burst), and goes as the letters come while they are mostly
# idle (a steady light load).
# lg-test: exclusive (timing of delivery against sessions)
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$LG_ROOT/tests/lib/postfix.sh"
. "$LG_ROOT/tests/lib/gateway.sh"

need_cmd swaks python3 /usr/sbin/postfix
need_bin lettergated lettergatectl

GW=$(lg_tmpdir gw)
PF=$(lg_tmpdir pf)
gw_setup "$GW" $'[delivery]\nyield_seconds = 4\ninterval_ms = 100'
gw_pf_start "$GW" "$PF" letters.example.org

send() { # MESSAGE-ID
	pf_send "$port" anna.belova@example.net ivan.petrov@letters.example.org "$1" \
		"Здравствуйте, Иван! Пишу вам снова, у нас всё хорошо ($1)."
}
spooled() { ls "$GW"/out/*.json 2>/dev/null | wc -l; }

# An SMTP session that stays in the middle of a message until told to stop
# (MAIL FROM and RCPT given, DATA never sent).
HOLD=$(lg_tmpdir hold)
python3 - "$port" "$HOLD/stop" "$HOLD/ready" <<'PY' &
import os, smtplib, sys, time
port, stop, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = smtplib.SMTP("127.0.0.1", port, timeout=60)
s.ehlo("holder.example.net")
s.mail("olga.nikitina@example.net")
s.rcpt("ivan.petrov@letters.example.org")
open(ready, "w").close()
t0 = time.time()
while not os.path.exists(stop) and time.time() - t0 < 50:
    time.sleep(0.05)
s.rset()
s.quit()
PY
holder=$!
on_exit stop_pid "$holder" 2
wait_until 20 test -f "$HOLD/ready" || fail "the holding session is in a message"

t0=$(date +%s%N)
like "$(send yield-1)" '250 2\.0\.0' "a letter is accepted while another message is in progress"
sleep 1.5
is "$(spooled)" 0 "delivery waits while a message is in progress"
if wait_until 10 bash -c "ls '$GW'/out/*.json >/dev/null 2>&1"; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	if ((ms >= 3000)); then
		ok "after yield_seconds (4 s) the letter is delivered though the session goes on (${ms} ms)"
	else
		fail "the letter waited for yield_seconds" "${ms} ms"
	fi
else
	fail "the letter is delivered after yield_seconds"
fi
touch "$HOLD/stop"
wait "$holder" 2>/dev/null

# Nothing in progress: delivered at once.
t0=$(date +%s%N)
like "$(send yield-2)" '250 2\.0\.0' "a second letter is accepted"
if wait_until 10 bash -c "[ \$(ls '$GW'/out/*.json 2>/dev/null | wc -l) -ge 2 ]"; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	if ((ms < 3000)); then
		ok "with no session in progress the letter is delivered at once (${ms} ms)"
	else
		fail "with no session in progress the letter is delivered at once" "${ms} ms"
	fi
else
	fail "the second letter is delivered"
fi

# A stream of messages, one session after another: SECONDS long, PAUSE
# between sessions. Prints how many were accepted and how many letters the
# spool gained while the stream ran (counted just before its last session).
stream() { # TAG SECONDS PAUSE
	python3 - "$port" "$GW/out" "$1" "$2" "$3" <<'PY'
import glob, smtplib, sys, time
from email.message import EmailMessage
port, out, tag, secs, pause = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
before = len(glob.glob(out + "/*.json"))
t0, n, ok, during = time.time(), 0, 0, 0
while True:
    last = time.time() - t0 >= secs
    if last:
        during = len(glob.glob(out + "/*.json")) - before
    n += 1
    m = EmailMessage()
    m["From"] = f"writer{n}.{tag}@example.net"
    m["To"] = "ivan.petrov@letters.example.org"
    m["Subject"] = "Письмо"
    m["Message-ID"] = f"<{tag}-{n}@example.net>"
    m.set_content(f"Здравствуйте, Иван! Это письмо номер {n} из серии {tag}, у нас всё хорошо.")
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
            s.send_message(m)
            ok += 1
    except Exception as e:
        print("send failed:", e, file=sys.stderr)
    if last:
        break
    time.sleep(pause)
print(ok, n, during)
PY
}

# A burst on busy CPUs: every CPU runs a busy loop while sessions follow
# one another. Between two messages nothing is in progress, but a message
# ended a moment ago and the CPUs are not idle: delivery waits.
# First a quiet second: a delivery thread that yielded since the last
# message (a spell) counts yield_seconds from the spell's start, and a spell
# carried into the burst would end the wait before the burst does.
sleep 1.5
burners=()
for _ in $(seq 1 "$(nproc)"); do
	timeout 30 bash -c 'while :; do :; done' &
	burners+=($!)
done
before=$(spooled)
read -r ok n during < <(stream busy 2.5 0.02)
for b in "${burners[@]}"; do kill "$b" 2>/dev/null; done
wait "${burners[@]}" 2>/dev/null
is "$ok" "$n" "every message of the burst is accepted ($n)"
is "$during" 0 "on busy CPUs delivery waits in the gaps between a burst's messages"
if wait_until 15 bash -c "[ \$(ls '$GW'/out/*.json 2>/dev/null | wc -l) -ge $((before + n)) ]"; then
	ok "the burst's letters are delivered once it ends"
else
	fail "the burst's letters are delivered once it ends" "$(($(spooled) - before)) of $n"
fi

# A steady light load on idle CPUs: the letters go as they come.
read -r ok n during < <(stream light 3 0.25)
is "$ok" "$n" "every message of the light stream is accepted ($n)"
if ((during > 0)); then
	ok "on idle CPUs letters are delivered while the stream goes on ($during of $n)"
else
	fail "on idle CPUs letters are delivered while the stream goes on" "0 of $n"
fi
done_testing
