-- A single TLS-Required field whose value is not "No": with the default configuration
-- (tls_required_unknown = ignore) nothing is tagged and a warning is logged.
local T = dofile(lib)
T.start({})

local cases = {
	{ "TLS-Required", "Yes" }, { "RequireTLS", "yes" }, { "tls-required", "Nope" },
	{ "TLS-Required", "No No" }, { "TLS-Required", "No (unclosed" }, { "TLS-Required", "No;" },
	{ "REQUIRETLS", "" }, { "TLS-Required", "\"No\"" },
}
for _, c in ipairs(cases) do
	local what = string.format("%s: %q with tls_required_unknown = ignore", c[1], c[2])
	local s = T.message{ headers = { c } }
	T.tag(s, nil, what)
	s:close()
	T.has_log(what .. " logged", s.qid .. ": requiretls=none reason=unknown-value field=" .. c[1])
end

-- fields with similar names are not TLS-Required
for _, n in ipairs({ "TLS-Required-X", "X-TLS-Required", "Require-TLS", "TLSRequired" }) do
	local s = T.message{ headers = { { n, "No" } } }
	T.tag(s, nil, n .. ": No is not a TLS-Required field")
	s:close()
	T.has_log(n .. ": treated as no request", s.qid .. ": requiretls=none reason=no-request")
end

T.done()
