-- tls_required_unknown = reject: a TLS-Required field with a value other than "No" refuses
-- the message at end of header (550 5.6.0); "No" still tags "optional"; a policy rule and the
-- REQUIRETLS parameter come first.  The reply text at EOH is not visible to miltertest (only
-- the reply type), so the text is checked in postward's log line.
local T = dofile(lib)
T.start({ "tls_required_unknown = reject" },
	{ ["policy.conf"] = "require_tls sender_domain ruled.example\n" })

local s

for _, c in ipairs({ { "TLS-Required", "Yes" }, { "requiretls", "maybe" }, { "TLS-Required", "" } }) do
	local what = string.format("%s: %q with tls_required_unknown = reject", c[1], c[2])
	s = T.message{ headers = { c } }
	T.rejected(s, "eoh", what)
	s:close()
	T.has_log(what .. ": 550 logged", s.qid .. ": reject: 550 5.6.0 Unrecognized TLS-Required header field value")
end

s = T.message{ headers = { { "TLS-Required", " No " } } }
T.tag(s, "optional", "TLS-Required: No with tls_required_unknown = reject")
s:close()

s = T.message{ from = "<a@ruled.example>", headers = { { "TLS-Required", "Yes" } } }
T.tag(s, "required", "policy rule beats an unknown value")
s:close()

s = T.message{ helo_macros = T.TLS13, args = { "REQUIRETLS" }, headers = { { "TLS-Required", "Yes" } } }
T.tag(s, "required", "REQUIRETLS parameter beats an unknown value")
s:close()

s = T.message{}
T.tag(s, nil, "no field with tls_required_unknown = reject")
s:close()

T.done()
