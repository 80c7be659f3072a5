-- tests/milter/sessions.lua - [limits] sessions = 1: a second concurrent
-- session is refused with 451 4.3.0. With SMFIP_NR_CONN and SMFIP_NR_MAIL
-- negotiated the refusal is given at the first RCPT TO; once the first
-- session ends, a new one is served.
-- Run: miltertest -s sessions.lua -D sock=unix:/path/milter.sock
local failures = 0
local passes = 0

local function ok(cond, desc)
	if cond then
		passes = passes + 1
		mt.echo("ok - " .. desc)
	else
		failures = failures + 1
		mt.echo("not ok - " .. desc)
	end
end

local function open()
	local conn = mt.connect(sock, 20, 0.25)
	assert(conn, "cannot connect to " .. tostring(sock))
	assert(mt.conninfo(conn, "client.example.net", "127.0.0.1") == nil, "conninfo")
	return conn
end

local first = open()
assert(mt.mailfrom(first, "<olga.nikitina@example.net>") == nil)
assert(mt.rcptto(first, "<ivan.petrov@letters.example.org>") == nil)
ok(mt.getreply(first) == SMFIR_CONTINUE, "the first session is served")

local second = open()
local r = mt.getreply(second)
if r == SMFIR_CONTINUE then
	-- the refusal waits for RCPT TO (no reply to the connection or MAIL FROM)
	assert(mt.mailfrom(second, "<anna.sokolova@example.net>") == nil)
	assert(mt.rcptto(second, "<ivan.petrov@letters.example.org>") == nil)
	r = mt.getreply(second)
end
ok(r == SMFIR_REPLYCODE or r == SMFIR_TEMPFAIL, "a second concurrent session is refused")
mt.disconnect(second)
mt.disconnect(first)

-- the daemon counts the first session as ended once it has closed
local served = false
for attempt = 1, 40 do
	local again = open()
	assert(mt.mailfrom(again, "<anna.sokolova@example.net>") == nil)
	assert(mt.rcptto(again, "<ivan.petrov@letters.example.org>") == nil)
	served = mt.getreply(again) == SMFIR_CONTINUE
	mt.disconnect(again)
	if served then
		break
	end
	mt.sleep(0.25)
end
ok(served, "after the first session ends a new one is served")

mt.echo(string.format("# %d passed, %d failed", passes, failures))
if failures > 0 then
	error("failures: " .. failures)
end
