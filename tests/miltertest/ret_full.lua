-- REQUIRETLS with RET=FULL (requiretls_ret_hdrs = yes, the default): postward asks the MTA for
-- RET=HDRS with smfi_chgfrom at end of message.
-- miltertest cannot see an envelope-sender change: mt.eom_check has no operation for
-- SMFIR_CHGFROM.  So this script checks that the message is accepted and tagged, and that
-- postward logged the change (it logs only when smfi_chgfrom succeeded); RET=HDRS and plain
-- RET=FULL without REQUIRETLS must not log it.
local T = dofile(lib)
T.start({}, { ["policy"] = "require_tls sender_domain ruled.example\n" })

local ASKED = "RET=FULL with REQUIRETLS: asked the MTA for RET=HDRS"
local s

T.ok(mt.test_action ~= nil, "miltertest has mt.test_action")

s = T.message{ helo_macros = T.TLS13, from = "<r@a.example>", args = { "RET=FULL", "REQUIRETLS", "ENVID=abc" } }
T.ok(mt.test_action(s.conn, SMFIF_CHGFROM), "postward negotiated SMFIF_CHGFROM")
T.tag(s, "required", "REQUIRETLS RET=FULL")
s:close()
T.has_log("REQUIRETLS RET=FULL: change to RET=HDRS logged", s.qid .. ": " .. ASKED)

s = T.message{ helo_macros = T.TLS13, args = { "REQUIRETLS", "ret=full" } }
T.tag(s, "required", "REQUIRETLS ret=full (lower case)")
s:close()
T.has_log("REQUIRETLS ret=full: change logged", s.qid .. ": " .. ASKED)

s = T.message{ helo_macros = T.TLS13, args = { "REQUIRETLS", "RET=HDRS" } }
T.tag(s, "required", "REQUIRETLS RET=HDRS")
s:close()
T.no_log("REQUIRETLS RET=HDRS: no change asked", s.qid .. ": RET=FULL")

s = T.message{ helo_macros = T.TLS13, args = { "REQUIRETLS" } }
T.tag(s, "required", "REQUIRETLS without RET")
s:close()
T.no_log("REQUIRETLS without RET: no change asked", s.qid .. ": RET=FULL")

s = T.message{ helo_macros = T.TLS13, args = { "RET=FULL" } }
T.tag(s, nil, "RET=FULL without REQUIRETLS")
s:close()
T.no_log("RET=FULL without REQUIRETLS: no change asked", s.qid .. ": RET=FULL")

-- a policy rule tags "required" but it is not the REQUIRETLS parameter: RET is left alone
s = T.message{ helo_macros = T.TLS13, from = "<x@ruled.example>", args = { "RET=FULL" } }
T.tag(s, "required", "policy rule + RET=FULL without REQUIRETLS")
s:close()
T.no_log("policy rule + RET=FULL: no change asked", s.qid .. ": RET=FULL")

T.done()
