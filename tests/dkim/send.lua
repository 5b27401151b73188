-- tests/dkim/send.lua - miltertest script: send the message file `msgfile` through the postward
-- listening at `sock` (queue id `qid`), honouring the negotiated options, and print the
-- Authentication-Results field it adds and whether it deleted one (for tests/dkim/milter.sh
-- and tests/dkim/flood.sh; tests/dkim/sign.sh sends through OpenDKIM with it); EOM gives
-- the end-of-message reply.
local conn = mt.connect(sock, 100, 0.05)
if conn == nil then error("cannot connect to " .. sock) end
if mt.negotiate(conn, nil, nil, nil) ~= nil then error("negotiate") end
-- steps a milter opted out of are skipped, as an MTA skips them (OpenDKIM: SMFIP_NOHELO)
if not mt.test_option(conn, SMFIP_NOCONNECT) then mt.conninfo(conn, "client.example", "192.0.2.9") end
if not mt.test_option(conn, SMFIP_NOHELO) then mt.helo(conn, "client.example") end
mt.macro(conn, SMFIC_MAIL, "i", qid)
mt.mailfrom(conn, "<a@example.org>")
mt.rcptto(conn, "<b@example.net>")
local f = io.open(msgfile, "rb"); local data = f:read("a"); f:close()
data = data:gsub("\r\n", "\n")
local hdr, body = data:match("^(.-)\n\n(.*)$")
if hdr == nil then hdr = data; body = "" end
local fields = {}
for line in (hdr .. "\n"):gmatch("(.-)\n") do
  if line:match("^[ \t]") and #fields > 0 then
    fields[#fields].v = fields[#fields].v .. "\r\n" .. line
  else
    local n, v = line:match("^([^:]+):(.*)$")
    table.insert(fields, {n = n, v = v})
  end
end
local lead = mt.test_option(conn, SMFIP_HDR_LEADSPC)
for _, fl in ipairs(fields) do
  local v = fl.v
  if not lead then v = v:gsub("^ ", "") end
  if mt.header(conn, fl.n, v) ~= nil then error("header") end
end
mt.eoh(conn)
if not mt.test_option(conn, SMFIP_NOBODY) and #body > 0 then
  mt.bodystring(conn, (body:gsub("\n", "\r\n")))
end
mt.eom(conn)
local names = { [SMFIR_CONTINUE] = "continue", [SMFIR_ACCEPT] = "accept",
                [SMFIR_REJECT] = "reject", [SMFIR_TEMPFAIL] = "tempfail",
                [SMFIR_REPLYCODE] = "replycode", [SMFIR_DISCARD] = "discard" }
local r = mt.getreply(conn)
print("EOM " .. (names[r] or tostring(r)))
print("LEADSPC " .. tostring(lead))
-- the field as added may be folded: ARLINES and ARMAXLINE say how (the first line counted
-- with its "Authentication-Results:"), AR gives it unfolded (line breaks removed)
local ar = mt.getheader(conn, "Authentication-Results", 0)
if ar ~= nil then
  local nlines, maxlen = 0, 0
  for line in (ar .. "\n"):gmatch("(.-)\r?\n") do
    local l = #line + (nlines == 0 and #"Authentication-Results:" or 0)
    if l > maxlen then maxlen = l end
    nlines = nlines + 1
  end
  print("ARLINES " .. nlines)
  print("ARMAXLINE " .. maxlen)
  print("ARRAW " .. (ar:gsub("\r", "\\r"):gsub("\n", "\\n")))
  ar = ar:gsub("\r?\n", "")
end
print("AR " .. tostring(ar))
print("ARDELETED " .. tostring(mt.eom_check(conn, MT_HDRCHANGE, "Authentication-Results")))
mt.disconnect(conn)
