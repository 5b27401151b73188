-- More than one TLS-Required / RequireTLS field (same or different spelling, whatever the
-- values) refuses the message at end of header: 550 5.6.0.  The reply text at EOH is not
-- visible to miltertest (only the reply type), so the text is checked in postward's log line.
local T = dofile(lib)
T.start({})

local pairs_ = {
	{ { "TLS-Required", "No" }, { "TLS-Required", "No" } },
	{ { "TLS-Required", "No" }, { "tls-required", "no" } },
	{ { "TLS-Required", "No" }, { "RequireTLS", "No" } },
	{ { "requiretls", "No" }, { "REQUIRETLS", "Yes" } },
	{ { "RequireTLS", "Yes" }, { "TLS-Required", "Yes" } },
	{ { "TLS-Required", "No" }, { "Subject", "between" }, { "TLS-REQUIRED", "No" } },
	{ { "TLS-Required", "No" }, { "RequireTLS", "No" }, { "TLS-Required", "No" } },
}
for _, hs in ipairs(pairs_) do
	local names = {}
	for _, h in ipairs(hs) do table.insert(names, h[1] .. ": " .. h[2]) end
	local what = table.concat(names, " + ")
	local s = T.message{ headers = hs }
	T.rejected(s, "eoh", what)
	s:close()
	T.has_log(what .. ": 550 logged",
		  s.qid .. ": reject: 550 5.6.0 Message has more than one TLS-Required header field")
	T.no_log(what .. ": no verdict line after the refusal", s.qid .. ": requiretls=")
end

-- the refusal does not stick to the connection: the next message on it is fine
local s = T.session{}
s:mail("<a@example.org>", {})
s:rcpt("<b@example.net>")
s:rest({ { "TLS-Required", "No" }, { "TLS-Required", "No" } })
T.rejected(s, "eoh", "first message on a connection with two fields")
s:abort()
s:mail("<a@example.org>", {})
s:rcpt("<b@example.net>")
s:rest({ { "TLS-Required", "No" } })
T.tag(s, "optional", "next message on the same connection, one field")
s:close()

T.done()
