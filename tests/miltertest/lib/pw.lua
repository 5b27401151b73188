-- tests/miltertest/lib/pw.lua - helpers shared by the postward miltertest scripts.
--
-- Loaded by every script with `local T = dofile(lib)`.  run.sh defines these globals (-D):
--   postward  absolute path of the binary       tmp   private temporary directory
--   sock      unix:TMP/milter.sock              log   file holding postward's stderr
--   lib       this file                         name  the script's name (for messages)
--
-- Conventions:
--   * T.ok(cond, what) records one check; T.done() raises an error if any failed, which makes
--     miltertest exit 1.  Every check prints "ok: ..." or "NOT OK: ..." on stdout.
--   * One postward per script (mt.startfilter remembers one process); every message uses its
--     own milter connection unless a script says otherwise.
--   * Each message gets a unique queue id (macro i at SMFIC_MAIL) so log lines can be matched
--     to it: "QID: requiretls=...".
--   * Steps the filter negotiated away (SMFIP_NO*) are skipped, never sent.
--   * Waiting is always for a condition (socket connectable, log line present) in a bounded
--     loop; there are no fixed sleeps used as synchronisation.

local T = { checks = 0, failures = 0, nqid = 0 }

T.TAG = "X-Postward-TLS"
T.conf = tmp .. "/postward.conf"

---------------------------------------------------------------------------------------------
-- checks

function T.ok(cond, what)
	T.checks = T.checks + 1
	if cond then
		mt.echo("ok: " .. what)
	else
		T.failures = T.failures + 1
		mt.echo("NOT OK: " .. what)
	end
	return cond
end

function T.done()
	if T.failures > 0 then
		error(string.format("%s: %d of %d checks failed", name or "?", T.failures, T.checks))
	end
	mt.echo(string.format("%s: all %d checks passed", name or "?", T.checks))
end

local reply_names = {}
for _, n in ipairs({ "SMFIR_CONTINUE", "SMFIR_ACCEPT", "SMFIR_REJECT", "SMFIR_TEMPFAIL",
		     "SMFIR_DISCARD", "SMFIR_REPLYCODE", "SMFIR_SKIP" }) do
	if _G[n] ~= nil then reply_names[_G[n]] = n end
end

-- rname - a reply code as text for messages
function T.rname(r)
	if r == nil then return "nil" end
	return reply_names[r] or string.format("'%s'(%d)", string.char(math.floor(r)), math.floor(r))
end

---------------------------------------------------------------------------------------------
-- files

function T.write(path, text)
	local f = assert(io.open(path .. ".new", "wb"))
	assert(f:write(text))
	assert(f:close())
	assert(os.rename(path .. ".new", path))	-- atomic replace: a reload never sees half a file
	return path
end

function T.read(path)
	local f = io.open(path, "rb")
	if f == nil then return "" end
	local t = f:read("a") or ""
	f:close()
	return t
end

-- sq - single-quote for /bin/sh
function T.sq(s)
	return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

---------------------------------------------------------------------------------------------
-- the log (postward's stderr)

function T.logtext()
	return T.read(log)
end

-- count - plain-text occurrences of NEEDLE in TEXT
function T.count(text, needle)
	local n, i = 0, 1
	while true do
		local s, e = string.find(text, needle, i, true)
		if s == nil then return n end
		n = n + 1
		i = e + 1
	end
end

-- logline - the first log line holding every one of the given plain substrings, or nil
function T.logline(...)
	local want = { ... }
	for line in (T.logtext() .. "\n"):gmatch("([^\n]*)\n") do
		local all = true
		for _, w in ipairs(want) do
			if not string.find(line, w, 1, true) then all = false break end
		end
		if all then return line end
	end
	return nil
end

-- wait_log - wait (bounded) until NEEDLE occurs at least N times in the log
function T.wait_log(needle, n, seconds)
	n = n or 1
	local tries = math.floor((seconds or 10) / 0.05)
	for _ = 1, tries do
		if T.count(T.logtext(), needle) >= n then return true end
		mt.sleep(0.05)
	end
	return T.count(T.logtext(), needle) >= n
end

-- has_log - check that one log line holds all of the given substrings (waits briefly: the
-- daemon writes its line before it answers, so it is normally there already)
function T.has_log(what, ...)
	local want = { ... }
	local line
	for _ = 1, 40 do
		line = T.logline(table.unpack(want))
		if line then break end
		mt.sleep(0.05)
	end
	return T.ok(line ~= nil, what .. " (log line with: " .. table.concat(want, " | ") .. ")")
end

function T.no_log(what, ...)
	local line = T.logline(...)
	return T.ok(line == nil, what .. (line and (" (unexpected log line: " .. line .. ")") or ""))
end

---------------------------------------------------------------------------------------------
-- starting postward

T.NOPRACTICES = "sender_practices =\n"
T.NORCPTCHECK = "requiretls_recipient_check = off\n"

-- start - write the configuration (a table of "name = value" lines, or a string) and the
-- policy files ({ [basename] = text }), start postward and wait until it accepts connections.
function T.start(conf, policies)
	local names = {}
	for base, text in pairs(policies or {}) do
		T.write(tmp .. "/" .. base, text)
		table.insert(names, tmp .. "/" .. base)
	end
	table.sort(names)
	if type(conf) == "table" then
		conf = table.concat(conf, "\n") .. "\n"
	end
	conf = conf or ""
	-- these scripts are about REQUIRETLS and run without a DNS server: no practice lookups
	-- (tests/practice checks sender practices against the DNSSEC fixture)
	if not conf:find("sender_practices", 1, true) then
		conf = T.NOPRACTICES .. conf
	end
	-- nor REQUIRETLS recipient lookups (tests/requiretls checks them against the fixture)
	if not conf:find("requiretls_recipient_check", 1, true) then
		conf = T.NORCPTCHECK .. conf
	end
	if #names > 0 and not conf:find("policy_files", 1, true) then
		conf = conf .. "policy_files = " .. table.concat(names, ", ") .. "\n"
	end
	T.write(T.conf, conf)
	mt.startfilter(postward, "-f", "-c", T.conf, "-p", sock)
	-- bounded wait for the socket: 200 tries, 0.05 s apart
	local conn = mt.connect(sock, 200, 0.05)
	if conn == nil then error("postward did not start listening on " .. sock) end
	mt.disconnect(conn)
	if not conf:find("log_level%s*=%s*warning") then
		T.ok(T.wait_log("listening on ", 1, 5), "postward logged \"listening on\"")
	end
end

function T.path(base)
	return tmp .. "/" .. base
end

---------------------------------------------------------------------------------------------
-- milter sessions

local S = {}
S.__index = S

function T.newqid()
	T.nqid = T.nqid + 1
	return string.format("PWQ%04d", T.nqid)
end

local function must(err, what)
	if err ~= nil then error(what .. ": " .. tostring(err)) end
end

-- session - connect, negotiate, send connect info and HELO.
-- o.host, o.ip: client (default client.example / 203.0.113.7)
-- o.helo_macros: { name, value, ... } sent at SMFIC_HELO before HELO
function T.session(o)
	o = o or {}
	local s = setmetatable({ r = {}, o = o }, S)
	s.conn = mt.connect(sock, 200, 0.05)
	if s.conn == nil then error("mt.connect(" .. sock .. ") failed") end
	must(mt.negotiate(s.conn, nil, nil, nil), "mt.negotiate")
	s.nobody = mt.test_option(s.conn, SMFIP_NOBODY)
	if not mt.test_option(s.conn, SMFIP_NOCONNECT) then
		must(mt.conninfo(s.conn, o.host or "client.example", o.ip or "203.0.113.7"),
		     "mt.conninfo")
		s.r.connect = mt.getreply(s.conn)
	end
	if o.helo_macros then
		must(mt.macro(s.conn, SMFIC_HELO, table.unpack(o.helo_macros)), "mt.macro(HELO)")
	end
	if not mt.test_option(s.conn, SMFIP_NOHELO) then
		must(mt.helo(s.conn, o.helo or "client.example"), "mt.helo")
		s.r.helo = mt.getreply(s.conn)
	end
	return s
end

-- mail - MAIL FROM with ESMTP ARGS; MACROS are extra SMFIC_MAIL macros; the queue id is
-- sent as macro i unless QID is false.  Returns the reply.
function S:mail(from, args, macros, qid)
	if qid == nil then qid = T.newqid() end
	self.qid = qid or "NOQUEUE"
	local m = { "{mail_addr}", (from:gsub("^<", ""):gsub(">$", "")) }
	if qid then
		table.insert(m, "i")
		table.insert(m, qid)
	end
	for _, v in ipairs(macros or {}) do table.insert(m, v) end
	must(mt.macro(self.conn, SMFIC_MAIL, table.unpack(m)), "mt.macro(MAIL)")
	must(mt.mailfrom(self.conn, from, table.unpack(args or {})), "mt.mailfrom")
	self.r.mail = mt.getreply(self.conn)
	return self.r.mail
end

function S:rcpt(to, args)
	if mt.test_option(self.conn, SMFIP_NORCPT) then return SMFIR_CONTINUE end
	must(mt.rcptto(self.conn, to, table.unpack(args or {})), "mt.rcptto")
	self.r.rcpt = mt.getreply(self.conn)
	return self.r.rcpt
end

function S:header(name, value)
	if mt.test_option(self.conn, SMFIP_NOHDRS) then return SMFIR_CONTINUE end
	must(mt.header(self.conn, name, value), "mt.header(" .. name .. ")")
	self.r.header = mt.getreply(self.conn)
	return self.r.header
end

function S:eoh()
	if mt.test_option(self.conn, SMFIP_NOEOH) then return SMFIR_CONTINUE end
	must(mt.eoh(self.conn), "mt.eoh")
	self.r.eoh = mt.getreply(self.conn)
	return self.r.eoh
end

function S:eom()
	if not self.nobody then
		must(mt.bodystring(self.conn, "Test body.\r\n"), "mt.bodystring")
		self.r.body = mt.getreply(self.conn)
	end
	must(mt.eom(self.conn), "mt.eom")
	self.r.eom = mt.getreply(self.conn)
	return self.r.eom
end

function S:close()
	if self.conn then mt.disconnect(self.conn) end
	self.conn = nil
end

-- abort - end the current message without EOM (as an MTA does after a rejection)
function S:abort()
	must(mt.abort(self.conn), "mt.abort")
end

-- body - headers, EOH and EOM after MAIL and RCPT; stops at the first reply that is not
-- CONTINUE and records the stage in self.stage
function S:rest(headers)
	local ok = SMFIR_CONTINUE
	for _, h in ipairs(headers or {}) do
		if self:header(h[1], h[2]) ~= ok then self.stage = "header" return self end
	end
	if self:eoh() ~= ok then self.stage = "eoh" return self end
	self:eom()
	self.stage = "eom"
	return self
end

-- message - one whole message on a new connection.
--   o.from, o.args, o.mail_macros, o.qid (false: no macro i), o.rcpts,
--   o.headers ({ {name, value}, ... }, sent after From and Subject), plus T.session's options.
-- Returns the session (still connected: check EOM actions, then s:close()).
function T.message(o)
	o = o or {}
	local s = T.session(o)
	local ok = SMFIR_CONTINUE
	if s:mail(o.from or "<sender@example.org>", o.args, o.mail_macros, o.qid) ~= ok then
		s.stage = "mail"
		return s
	end
	for _, rc in ipairs(o.rcpts or { "<rcpt@example.net>" }) do
		if s:rcpt(rc) ~= ok then s.stage = "rcpt" return s end
	end
	local headers = { { "From", "Sender <sender@example.org>" }, { "Subject", "postward test" } }
	for _, h in ipairs(o.headers or {}) do table.insert(headers, h) end
	return s:rest(headers)
end

---------------------------------------------------------------------------------------------
-- verdict checks on a finished session

local function accepted(r)
	return r == SMFIR_CONTINUE or r == SMFIR_ACCEPT
end

-- added_tags - how many X-Postward-TLS fields were added (addheader or insheader)
function T.added_tags(s)
	local n = 0
	while mt.getheader(s.conn, T.TAG, n) ~= nil do n = n + 1 end
	return n
end

-- tag - check that the message reached EOM, was accepted and got exactly one
-- "X-Postward-TLS: VALUE" (VALUE nil: no X-Postward-TLS field added)
function T.tag(s, value, what)
	if not T.ok(s.stage == "eom" and accepted(s.r.eom),
		    what .. ": accepted at EOM (stage " .. tostring(s.stage) .. ", reply " ..
		    T.rname(s.r[s.stage or "eom"]) .. ")") then
		return false
	end
	if value == nil then
		-- (an Authentication-Results field is always added: DKIM results)
		local any = mt.eom_check(s.conn, MT_HDRADD, T.TAG) or
			    mt.eom_check(s.conn, MT_HDRINSERT, T.TAG)
		return T.ok(not any, what .. ": no " .. T.TAG .. " field added" ..
			    (any and (" (added " .. T.TAG .. ": " ..
				      tostring(mt.getheader(s.conn, T.TAG, 0)) .. ")") or ""))
	end
	-- with SMFIP_HDR_LEADSPC the milter sends the value as it follows the colon: " required"
	local want = mt.test_option(s.conn, SMFIP_HDR_LEADSPC) and (" " .. value) or value
	local got = mt.eom_check(s.conn, MT_HDRADD, T.TAG, want) or
		    mt.eom_check(s.conn, MT_HDRINSERT, T.TAG, want)
	local n = T.added_tags(s)
	return T.ok(got and n == 1, string.format("%s: %s: %s added once (found %d, first %s)",
		    what, T.TAG, value, n, tostring(mt.getheader(s.conn, T.TAG, 0))))
end

-- deleted - were exactly the X-Postward-TLS fields 1..N deleted (a deletion is a header
-- change to an empty value; miltertest reports it as MT_HDRDELETE)
function T.deleted(s, n, what)
	local okall = true
	for i = 1, n do
		if not mt.eom_check(s.conn, MT_HDRDELETE, T.TAG, i) then okall = false end
	end
	if n == 0 then
		okall = not mt.eom_check(s.conn, MT_HDRDELETE) and not mt.eom_check(s.conn, MT_HDRCHANGE)
	else
		-- nothing beyond N, and no change that is not a deletion
		okall = okall and not mt.eom_check(s.conn, MT_HDRDELETE, T.TAG, n + 1)
	end
	return T.ok(okall, string.format("%s: %d %s field(s) deleted", what, n, T.TAG))
end

-- rejected - the message was refused with a reply code at STAGE
function T.rejected(s, stage, what)
	return T.ok(s.stage == stage and s.r[stage] == SMFIR_REPLYCODE,
		    string.format("%s: SMFIR_REPLYCODE at %s (stage %s, reply %s)", what, stage,
				  tostring(s.stage), T.rname(s.r[s.stage or stage])))
end

T.TLS13 = { "{tls_version}", "TLSv1.3", "{cipher}", "TLS_AES_256_GCM_SHA384" }

return T
