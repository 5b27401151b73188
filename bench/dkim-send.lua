-- bench/dkim-send.lua - miltertest client for bench/dkim-verify.sh: send every message of one
-- corpus file through the milter at `sock` and print, per message, the Authentication-Results
-- field the milter added.
--
-- usage: miltertest -s bench/dkim-send.lua -D sock=unix:PATH -D corpus=FILE \
--                   [-D per_conn=N] [-D fold=lf|crlf]
--
-- The whole corpus file is read and split before the first connection, so the client's own
-- parsing is not part of the milter's time.  Then, message after message, as an MTA does:
-- connect (a new connection every `per_conn` messages, default 1: one SMTP session, one
-- message), negotiate, conninfo, helo; then MAIL (macro i = the queue id), RCPT, each header
-- field, end of header, the body in one chunk (< 64 KB), end of message.  Header values are
-- passed as the MTA would: without the space after the colon unless the milter asked for
-- SMFIP_HDR_LEADSPC, folds as LF + white space (`fold=lf`, as Postfix does; default) or
-- CRLF + white space (`fold=crlf`).
--
-- Corpus framing (written by bench/dkim-corpus.py), repeated per message:
--   "M QID NFIELDS BODYLEN\n", then NFIELDS times "NAMELEN VALUELEN\n" NAME VALUE (VALUE: all
--   after the colon, folds as CRLF + WSP), then BODYLEN octets of body (CRLF lines).
--
-- Output: "AR QID VALUE" per message (VALUE "nil" if no field was added), then "DONE N".
-- Any failure: "dkim-send.lua: what" on stderr and exit status 1 (miltertest itself says
-- nothing about a script error).
local ok, err = pcall(function()
  local per = tonumber(per_conn or "1")
  local lf = (fold or "lf") == "lf"
  local f = assert(io.open(corpus, "rb"))
  local s = f:read("*a")
  f:close()

  -- split the corpus
  local msgs, pos = {}, 1
  local function line()
    local e = string.find(s, "\n", pos, true)
    if e == nil then error("corpus " .. corpus .. ": truncated at octet " .. pos) end
    local l = string.sub(s, pos, e - 1)
    pos = e + 1
    return l
  end
  while pos <= #s do
    local qid, nf, blen = string.match(line(), "^M (%S+) (%d+) (%d+)$")
    if qid == nil then error("corpus " .. corpus .. ": bad frame at octet " .. pos) end
    local m = { qid = qid, fields = {} }
    for _ = 1, tonumber(nf) do
      local nl, vl = string.match(line(), "^(%d+) (%d+)$")
      nl, vl = tonumber(nl), tonumber(vl)
      local name = string.sub(s, pos, pos + nl - 1)
      local value = string.sub(s, pos + nl, pos + nl + vl - 1)
      pos = pos + nl + vl
      if lf then value = string.gsub(value, "\r\n", "\n") end
      table.insert(m.fields, { name = name, value = value, bare = (string.gsub(value, "^ ", "", 1)) })
    end
    m.body = string.sub(s, pos, pos + tonumber(blen) - 1)
    pos = pos + tonumber(blen)
    table.insert(msgs, m)
  end
  s = nil

  local conn, lead, used, skip = nil, false, 0, {}
  local out = {}
  for _, m in ipairs(msgs) do
    if conn == nil then
      conn = mt.connect(sock, 100, 0.05)
      if conn == nil then error("cannot connect to " .. sock) end
      mt.set_timeout(60)
      if mt.negotiate(conn, nil, nil, nil) ~= nil then error("negotiate") end
      -- the steps the milter opted out of are skipped, as an MTA skips them
      skip = {}
      for k, v in pairs({ conn = SMFIP_NOCONNECT, helo = SMFIP_NOHELO, mail = SMFIP_NOMAIL,
                          rcpt = SMFIP_NORCPT, hdrs = SMFIP_NOHDRS, eoh = SMFIP_NOEOH,
                          body = SMFIP_NOBODY }) do
        skip[k] = mt.test_option(conn, v)
      end
      if not skip.conn and mt.conninfo(conn, "client.example", "192.0.2.9") ~= nil then
        error("conninfo")
      end
      if not skip.helo and mt.helo(conn, "client.example") ~= nil then error("helo") end
      lead = mt.test_option(conn, SMFIP_HDR_LEADSPC)
      used = 0
    end
    mt.macro(conn, SMFIC_MAIL, "i", m.qid)
    if not skip.mail and mt.mailfrom(conn, "<sender@example.org>") ~= nil then
      error(m.qid .. ": mailfrom")
    end
    if not skip.rcpt and mt.rcptto(conn, "<rcpt@example.net>") ~= nil then
      error(m.qid .. ": rcptto")
    end
    for _, fl in ipairs(skip.hdrs and {} or m.fields) do
      if mt.header(conn, fl.name, lead and fl.value or fl.bare) ~= nil then
        error(m.qid .. ": header " .. fl.name)
      end
    end
    if not skip.eoh and mt.eoh(conn) ~= nil then error(m.qid .. ": eoh") end
    if not skip.body and #m.body > 0 and mt.bodystring(conn, m.body) ~= nil then
      error(m.qid .. ": body")
    end
    if mt.eom(conn) ~= nil then error(m.qid .. ": eom") end
    local ar = mt.getheader(conn, "Authentication-Results", 0)
    table.insert(out, "AR " .. m.qid .. " " .. string.gsub(tostring(ar), "[\r\n]+[ \t]*", " "))
    used = used + 1
    if used >= per then
      mt.disconnect(conn)
      conn = nil
    end
  end
  if conn ~= nil then mt.disconnect(conn) end
  table.insert(out, "DONE " .. #msgs)
  io.write(table.concat(out, "\n"), "\n")
end)
if not ok then
  io.stderr:write("dkim-send.lua: " .. tostring(err) .. "\n")
  os.exit(1)
end
