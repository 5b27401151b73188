-- requiretls_ret_hdrs = no: REQUIRETLS with RET=FULL is tagged but RET is left alone.
-- (miltertest cannot see smfi_chgfrom; the absence of postward's log line is checked.)
local T = dofile(lib)
T.start({ "requiretls_ret_hdrs = no" })

local s = T.message{ helo_macros = T.TLS13, args = { "REQUIRETLS", "RET=FULL" } }
T.tag(s, "required", "REQUIRETLS RET=FULL with requiretls_ret_hdrs = no")
s:close()
T.no_log("no change asked with requiretls_ret_hdrs = no", s.qid .. ": RET=FULL")
T.has_log("decision logged", s.qid .. ": requiretls=required reason=mail-parameter")

T.done()
