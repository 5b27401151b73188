-- The REQUIRETLS parameter comes first: TLS-Required fields are then ignored (and not even
-- counted), the message is tagged "required", and the log says the field was ignored.
local T = dofile(lib)
T.start({})

local s

s = T.message{ helo_macros = T.TLS13, args = { "REQUIRETLS" }, headers = { { "TLS-Required", "No" } } }
T.tag(s, "required", "REQUIRETLS + TLS-Required: No")
T.ok(not mt.eom_check(s.conn, MT_HDRADD, T.TAG, "optional"), "REQUIRETLS + TLS-Required: No: not tagged optional")
s:close()
T.has_log("REQUIRETLS + TLS-Required: No: decision logged", s.qid .. ": requiretls=required reason=mail-parameter")
T.has_log("REQUIRETLS + TLS-Required: No: ignored field logged", s.qid .. ": ignored TLS-Required field")

s = T.message{ helo_macros = T.TLS13, args = { "requiretls" }, headers = { { "RequireTLS", "no" } } }
T.tag(s, "required", "requiretls + RequireTLS: no")
s:close()
T.has_log("requiretls + RequireTLS: no: ignored field logged", s.qid .. ": ignored RequireTLS field")

s = T.message{ helo_macros = T.TLS13, args = { "REQUIRETLS" },
	       headers = { { "TLS-Required", "No" }, { "TLS-Required", "No" } } }
T.tag(s, "required", "REQUIRETLS + two TLS-Required fields (not refused)")
s:close()

s = T.message{ helo_macros = T.TLS13, args = { "REQUIRETLS" }, headers = { { "TLS-Required", "Yes" } } }
T.tag(s, "required", "REQUIRETLS + TLS-Required: Yes")
s:close()

T.done()
