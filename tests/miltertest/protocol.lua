-- Milter negotiation and queue ids.
--   * postward asks for the actions it needs (add and change header fields, change the
--     envelope sender) and no others, takes the body (DKIM body hashes) and asks for header
--     values with their leading space (SMFIP_HDR_LEADSPC, for DKIM simple canonicalisation);
--   * the queue id in log lines is macro i from whichever stage first carries it, or
--     NOQUEUE while none is known.
local T = dofile(lib)
local SMFIC_EOH, SMFIC_BODYEOB = string.byte("N"), string.byte("E")
T.start({})

local s = T.session{}
T.ok(not mt.test_option(s.conn, SMFIP_NOBODY), "the body is wanted (DKIM)")
T.ok(mt.test_option(s.conn, SMFIP_HDR_LEADSPC), "header values with their leading space")
T.ok(not mt.test_option(s.conn, SMFIP_NOHDRS), "header fields are wanted")
T.ok(not mt.test_option(s.conn, SMFIP_NOEOH), "end of header is wanted")
T.ok(not mt.test_option(s.conn, SMFIP_NOMAIL) and not mt.test_option(s.conn, SMFIP_NORCPT),
     "MAIL and RCPT are wanted")
T.ok(not mt.test_option(s.conn, SMFIP_NOCONNECT) and not mt.test_option(s.conn, SMFIP_NOHELO),
     "connect and HELO are wanted")
T.ok(mt.test_action(s.conn, SMFIF_ADDHDRS), "action SMFIF_ADDHDRS requested")
T.ok(mt.test_action(s.conn, SMFIF_CHGHDRS), "action SMFIF_CHGHDRS requested")
T.ok(mt.test_action(s.conn, SMFIF_CHGFROM), "action SMFIF_CHGFROM requested")
T.ok(mt.test_action(s.conn, SMFIF_QUARANTINE), "action SMFIF_QUARANTINE requested (practice rules)")
T.ok(mt.test_action(s.conn, SMFIF_DELRCPT), "action SMFIF_DELRCPT requested (encrypted lists)")
T.ok(mt.test_option(s.conn, SMFIP_NR_HDR), "no reply per header field (SMFIP_NR_HDR)")
T.ok(mt.test_option(s.conn, SMFIP_NR_BODY), "no reply per body chunk (SMFIP_NR_BODY)")
for _, a in ipairs({ "SMFIF_CHGBODY", "SMFIF_ADDRCPT", "SMFIF_ADDRCPT_PAR" }) do
	if _G[a] then T.ok(not mt.test_action(s.conn, _G[a]), "action " .. a .. " not requested") end
end
s:close()

-- macro i only at end of header
s = T.session{}
s:mail("<q@example.org>", {}, nil, false)
s:rcpt("<r@example.net>")
s:header("TLS-Required", "No")
mt.macro(s.conn, SMFIC_EOH, "i", "QIDATEOH")
s:eoh()
s:eom()
s.stage = "eom"
T.tag(s, "optional", "macro i only at EOH")
s:close()
T.has_log("queue id from the EOH macro", "QIDATEOH: requiretls=optional reason=header field=TLS-Required")

-- macro i only at end of message
s = T.session{}
s:mail("<q@example.org>", {}, nil, false)
s:rcpt("<r@example.net>")
s:eoh()
mt.macro(s.conn, SMFIC_BODYEOB, "i", "QIDATEOM")
s:eom()
s.stage = "eom"
T.tag(s, nil, "macro i only at EOM")
s:close()
T.has_log("queue id from the EOM macro", "QIDATEOM: requiretls=none reason=no-request")

-- macro i first at RCPT
s = T.session{}
s:mail("<q@example.org>", {}, nil, false)
mt.macro(s.conn, SMFIC_RCPT, "i", "QIDATRCPT", "{rcpt_addr}", "r@example.net")
s:rcpt("<r@example.net>")
s:rest({})
T.tag(s, nil, "macro i first at RCPT")
s:close()
T.has_log("queue id from the RCPT macro", "QIDATRCPT: requiretls=none reason=no-request")

-- no macro i at all
local before = T.count(T.logtext(), "NOQUEUE: requiretls=none reason=no-request")
s = T.message{ qid = false }
T.tag(s, nil, "no macro i")
s:close()
T.ok(T.count(T.logtext(), "NOQUEUE: requiretls=none reason=no-request") == before + 1,
     "no macro i: the verdict is logged as NOQUEUE")

T.done()
