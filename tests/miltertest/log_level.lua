-- log_level = warning: decisions (info) are not logged, problems (warnings) are; a reload to
-- log_level = debug brings the info lines back.
local T = dofile(lib)
T.start({ "log_level = warning" })

local s = T.message{ headers = { { "TLS-Required", "No" } } }
T.tag(s, "optional", "log_level = warning: tagging still works")
s:close()
T.no_log("log_level = warning: no info line for the decision", s.qid .. ": requiretls=")
T.no_log("log_level = warning: no \"listening on\" line", "listening on ")

s = T.message{ headers = { { "TLS-Required", "Yes" } } }
T.tag(s, nil, "log_level = warning: unknown value")
s:close()
T.has_log("log_level = warning: the unknown-value warning is logged", s.qid .. ": requiretls=none reason=unknown-value")

T.write(T.conf, T.NOPRACTICES .. T.NORCPTCHECK .. "log_level = debug\n")
mt.signal(1)
T.ok(T.wait_log("reloaded: ", 1, 10), "reload to log_level = debug logged")
s = T.message{ headers = { { "TLS-Required", "No" } } }
T.tag(s, "optional", "log_level = debug: tagging")
s:close()
T.has_log("log_level = debug: the decision is logged", s.qid .. ": requiretls=optional reason=header field=TLS-Required")

T.done()
