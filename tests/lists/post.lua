-- tests/lists/post.lua - miltertest script: send the message file `msgfile` from `sender` to
-- the recipients `rcpts` (blank-separated) through the postward at `sock` (queue id `qid`)
-- and print what it answered, one fact a line (for tests/lists/milter.sh):
--   RCPT <addr> <reply>    the reply to each RCPT (continue, tempfail, ...)
--   EOM <reply>            continue / discard / reject / tempfail / replycode
--   REPLY <bool>           (when `code` is given) whether the reply was "code xcode text"
--   DELRCPT <bool>         (when `delrcpt` is given) whether it removed that recipient
local conn = mt.connect(sock, 100, 0.05)
if conn == nil then error("cannot connect to " .. sock) end
if mt.negotiate(conn, nil, nil, nil) ~= nil then error("negotiate") end
local names = { [SMFIR_CONTINUE] = "continue", [SMFIR_ACCEPT] = "accept",
                [SMFIR_REJECT] = "reject", [SMFIR_TEMPFAIL] = "tempfail",
                [SMFIR_REPLYCODE] = "replycode", [SMFIR_DISCARD] = "discard" }
mt.conninfo(conn, "client.example", "192.0.2.9")
mt.helo(conn, "client.example")
mt.macro(conn, SMFIC_MAIL, "i", qid)
mt.mailfrom(conn, sender)
local accepted = 0
for r in rcpts:gmatch("%S+") do
  mt.rcptto(conn, r)
  local rr = mt.getreply(conn)
  print("RCPT " .. r .. " " .. (names[rr] or tostring(rr)))
  if rr == SMFIR_CONTINUE then accepted = accepted + 1 end
end
if accepted == 0 then print("EOM none"); mt.disconnect(conn); return end
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
-- An MTA hands the milter the value after the colon less one leading space, and with
-- SMFIP_HDR_LEADSPC negotiated the value as it is.  miltertest puts one space in front of
-- the value itself when SMFIP_HDR_LEADSPC is negotiated, so in both cases the driver drops
-- the one space after the colon; a value with no space there cannot be sent faithfully
-- with SMFIP_HDR_LEADSPC, and the driver says so rather than send something else.
local lead = mt.test_option(conn, SMFIP_HDR_LEADSPC)
for _, fl in ipairs(fields) do
  local v = fl.v
  if v:sub(1, 1) == " " then
    v = v:sub(2)
  elseif lead then
    error("header " .. fl.n .. ": no space after the colon; miltertest would add one " ..
          "(SMFIP_HDR_LEADSPC), so the milter would not see what an MTA sends")
  end
  if mt.header(conn, fl.n, v) ~= nil then error("header") end
end
mt.eoh(conn)
if not mt.test_option(conn, SMFIP_NOBODY) and #body > 0 then
  mt.bodystring(conn, (body:gsub("\n", "\r\n")))
end
mt.eom(conn)
local r = mt.getreply(conn)
print("EOM " .. (names[r] or tostring(r)))
if code ~= nil then
  print("REPLY " .. tostring(mt.eom_check(conn, MT_SMTPREPLY, code, xcode, text)))
end
if delrcpt ~= nil then
  print("DELRCPT " .. tostring(mt.eom_check(conn, MT_RCPTDELETE, delrcpt)))
end
mt.disconnect(conn)
