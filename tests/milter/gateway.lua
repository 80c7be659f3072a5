-- tests/milter/gateway.lua - drives the real lettergated over the milter
-- protocol with miltertest (no MTA): reply codes at RCPT and at end of
-- message, recipient removal, discard, size limit.
-- Run: miltertest -s gateway.lua -D sock=unix:/path/milter.sock
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

local function headers(conn, msgid)
	mt.header(conn, "From", "Olga Nikitina <olga.nikitina@example.net>")
	mt.header(conn, "To", "ivan.petrov@letters.example.org")
	mt.header(conn, "Subject", "=?UTF-8?B?0J/RgNC40LLQtdGC?=")
	mt.header(conn, "Message-ID", "<" .. msgid .. "@example.net>")
	mt.header(conn, "MIME-Version", "1.0")
	mt.header(conn, "Content-Type", "text/plain; charset=utf-8")
	mt.header(conn, "Content-Transfer-Encoding", "8bit")
	assert(mt.eoh(conn) == nil, "eoh")
end

local body = "Здравствуйте, Иван!\r\nУ нас всё хорошо, дети растут, в саду созрели яблоки.\r\nОбнимаем, Ольга\r\n"

local function run()
	-- 1. unknown alias: 550 5.1.1 at RCPT
	local conn = open()
	assert(mt.mailfrom(conn, "<olga.nikitina@example.net>") == nil)
	assert(mt.rcptto(conn, "<nobody.known@letters.example.org>") == nil)
	ok(mt.getreply(conn) == SMFIR_REPLYCODE, "unknown alias refused at RCPT")
	-- 2. released prisoner: 550 5.1.6 at RCPT
	assert(mt.rcptto(conn, "<pavel.gromov@letters.example.org>") == nil)
	ok(mt.getreply(conn) == SMFIR_REPLYCODE, "released prisoner refused at RCPT")
	-- 3. outside recipient passes at RCPT
	assert(mt.rcptto(conn, "<someone@outside.test>") == nil)
	ok(mt.getreply(conn) == SMFIR_CONTINUE, "outside recipient passes at RCPT")
	mt.disconnect(conn)

	-- 4. a letter to a prisoner alone: stored, message discarded (no recipient
	--    removal first: a discarded message keeps none)
	conn = open()
	assert(mt.mailfrom(conn, "<olga.nikitina@example.net>") == nil)
	assert(mt.rcptto(conn, "<ivan.petrov@letters.example.org>") == nil)
	ok(mt.getreply(conn) == SMFIR_CONTINUE, "active prisoner accepted at RCPT")
	headers(conn, "mt-1")
	assert(mt.bodystring(conn, body) == nil)
	assert(mt.eom(conn) == nil)
	ok(mt.getreply(conn) == SMFIR_DISCARD, "letter to a prisoner alone: message discarded")
	ok(not mt.eom_check(conn, MT_RCPTDELETE, "<ivan.petrov@letters.example.org>"),
		"no recipient removal before a discard")
	mt.disconnect(conn)

	-- 5. prisoner and outside recipient: prisoner removed, message goes on
	conn = open()
	assert(mt.mailfrom(conn, "<olga.nikitina@example.net>") == nil)
	assert(mt.rcptto(conn, "<maria.sokolova@letters.example.org>") == nil)
	assert(mt.rcptto(conn, "<friend@outside.test>") == nil)
	headers(conn, "mt-2")
	assert(mt.bodystring(conn, body) == nil)
	assert(mt.eom(conn) == nil)
	ok(mt.getreply(conn) == SMFIR_CONTINUE or mt.getreply(conn) == SMFIR_ACCEPT,
		"mixed recipients: message continues")
	ok(mt.eom_check(conn, MT_RCPTDELETE, "<maria.sokolova@letters.example.org>"),
		"mixed recipients: prisoner removed")
	ok(not mt.eom_check(conn, MT_RCPTDELETE, "<friend@outside.test>"),
		"mixed recipients: outside recipient kept")
	mt.disconnect(conn)

	-- 6. only outside recipients: untouched (accepted at the end of the
	-- headers, or at the end of the message with SMFIP_NR_EOH)
	conn = open()
	assert(mt.mailfrom(conn, "<olga.nikitina@example.net>") == nil)
	assert(mt.rcptto(conn, "<friend@outside.test>") == nil)
	headers(conn, "mt-3")
	local passed = mt.getreply(conn) == SMFIR_ACCEPT
	if not passed then
		mt.bodystring(conn, "Hello, friend.\r\n")
		assert(mt.eom(conn) == nil)
		passed = mt.getreply(conn) == SMFIR_ACCEPT
	end
	ok(passed, "no prisoner recipient: accepted untouched")
	mt.disconnect(conn)

	-- 7. empty letter (quoted text only): 550 5.7.1 at end of message
	conn = open()
	assert(mt.mailfrom(conn, "<olga.nikitina@example.net>") == nil)
	assert(mt.rcptto(conn, "<ivan.petrov@letters.example.org>") == nil)
	headers(conn, "mt-4")
	assert(mt.bodystring(conn, "> On Monday Olga wrote:\r\n> an old letter\r\n") == nil)
	assert(mt.eom(conn) == nil)
	ok(mt.getreply(conn) == SMFIR_REPLYCODE, "empty letter refused")
	mt.disconnect(conn)

	-- 8. over the size limit (the test config sets message_bytes = 64K): 552 5.3.4
	conn = open()
	assert(mt.mailfrom(conn, "<olga.nikitina@example.net>") == nil)
	assert(mt.rcptto(conn, "<ivan.petrov@letters.example.org>") == nil)
	headers(conn, "mt-5")
	local big = string.rep("Очень длинное письмо. ", 200) .. "\r\n"
	local refused = false
	for i = 1, 40 do
		mt.bodystring(conn, big)
		if mt.getreply(conn) == SMFIR_REPLYCODE then
			refused = true
			break
		end
	end
	if not refused then
		-- SMFIP_NR_BODY negotiated: no answer per chunk, the refusal comes
		-- at the end of the message
		assert(mt.eom(conn) == nil)
		refused = mt.getreply(conn) == SMFIR_REPLYCODE
	end
	ok(refused, "message over the size limit refused (during the body, or at its end with SMFIP_NR_BODY)")
	mt.disconnect(conn, false)

	mt.echo(string.format("# %d passed, %d failed", passes, failures))
	if failures > 0 then
		error("miltertest: " .. failures .. " checks failed")
	end
end

local status, err = pcall(run)
if not status then
	mt.echo("not ok - " .. tostring(err))
	error(err)
end
