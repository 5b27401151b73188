-- tests/requiretls/rcpt.lua - miltertest script for tests/requiretls/rcpt.sh: one message on a
-- TLS session (the TLS macros at HELO), MAIL FROM `sender` with the ESMTP parameters `args`
-- (blank-separated, e.g. "REQUIRETLS"; may be empty), queue id `qid`, then one RCPT per
-- address of `rcpts` (blank-separated, sent in angle brackets), each printed as
-- "RCPT <address> REPLY" with REPLY continue / reject / tempfail / replycode (a refusal or a
-- deferral with its reply set by postward: which one, the log says); a refused
-- RCPT does not end the message (an MTA goes on with the next one).  Then the message is
-- aborted.  Steps the filter negotiated away are skipped.
local names = { [SMFIR_CONTINUE] = "continue", [SMFIR_ACCEPT] = "accept",
		[SMFIR_REJECT] = "reject", [SMFIR_TEMPFAIL] = "tempfail",
		[SMFIR_REPLYCODE] = "replycode", [SMFIR_DISCARD] = "discard" }
local conn = mt.connect(sock, 100, 0.05)
if conn == nil then error("cannot connect to " .. sock) end
if mt.negotiate(conn, nil, nil, nil) ~= nil then error("negotiate") end
if not mt.test_option(conn, SMFIP_NOCONNECT) then
	mt.conninfo(conn, "client.example", "192.0.2.9")
	mt.getreply(conn)
end
mt.macro(conn, SMFIC_HELO, "{tls_version}", "TLSv1.3", "{cipher}", "TLS_AES_256_GCM_SHA384")
if not mt.test_option(conn, SMFIP_NOHELO) then
	mt.helo(conn, "client.example")
	mt.getreply(conn)
end
mt.macro(conn, SMFIC_MAIL, "i", qid, "{tls_version}", "TLSv1.3", "{cipher}",
	 "TLS_AES_256_GCM_SHA384")
local a = {}
for w in (args or ""):gmatch("%S+") do table.insert(a, w) end
mt.mailfrom(conn, sender, table.unpack(a))
local r = mt.getreply(conn)
print("MAIL " .. (names[r] or tostring(r)))
if r == SMFIR_CONTINUE and mt.test_option(conn, SMFIP_NORCPT) then
	error("postward negotiated RCPT away")
end
for to in (rcpts or ""):gmatch("%S+") do
	mt.macro(conn, SMFIC_RCPT, "i", qid)
	mt.rcptto(conn, "<" .. to .. ">")
	r = mt.getreply(conn)
	print("RCPT <" .. to .. "> " .. (names[r] or tostring(r)))
end
mt.abort(conn)
mt.disconnect(conn)
