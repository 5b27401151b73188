-- tests/practice/send.lua - miltertest script: send the message file `msgfile` through the
-- postward listening at `sock` (queue id `qid`, envelope sender `sender`), honouring the
-- negotiated options, and print what postward did at end of message, one fact a line:
--   EOM <reply>            continue / accept / reject / tempfail / replycode ...
--   AR <value>             the Authentication-Results field it inserted (or nil)
--   PRACTICE <value>       the X-Postward-Practice field it added (or nil)
--   PRACTICEDELETED <bool> whether it deleted an incoming X-Postward-Practice field
--   QUARANTINE <bool>      whether it asked for quarantine
--   REPLY <bool>           (only when `code` is given) whether it asked for the reply
--                          "code xcode text" exactly
-- For tests/practice/milter.sh.
local conn = mt.connect(sock, 100, 0.05)
if conn == nil then error("cannot connect to " .. sock) end
-- miltertest offers every action by default; noquarantine=1 plays an MTA without quarantine
local acts = nil
if noquarantine ~= nil then
  acts = SMFIF_ADDHDRS + SMFIF_CHGHDRS + SMFIF_CHGFROM + SMFIF_ADDRCPT + SMFIF_DELRCPT +
         SMFIF_CHGBODY + SMFIF_SETSYMLIST
end
if mt.negotiate(conn, nil, nil, acts) ~= nil then error("negotiate") end
mt.conninfo(conn, "client.example", "192.0.2.9")
mt.helo(conn, "client.example")
mt.macro(conn, SMFIC_MAIL, "i", qid)
mt.mailfrom(conn, sender or "<a@example.org>")
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
print("PRACTICE " .. tostring(mt.getheader(conn, "X-Postward-Practice", 0)))
print("PRACTICEDELETED " .. tostring(mt.eom_check(conn, MT_HDRCHANGE, "X-Postward-Practice")))
print("QUARANTINE " .. tostring(mt.eom_check(conn, MT_QUARANTINE)))
if code ~= nil then
  print("REPLY " .. tostring(mt.eom_check(conn, MT_SMTPREPLY, code, xcode, text)))
end
mt.disconnect(conn)
