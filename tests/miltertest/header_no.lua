-- A single TLS-Required / RequireTLS field with the value "No" (any case, CFWS and comments
-- around it) tags the message "optional", whatever the spelling of the field name.
local T = dofile(lib)
T.start({})

local names = { "TLS-Required", "tls-required", "RequireTLS", "REQUIRETLS", "Tls-Required" }
local values = { "No", " no ", "NO (relax)", "nO", "(legacy client) No", "No(x)", "\r\n\tNo",
		 "No (nested (comment))" }

for _, n in ipairs(names) do
	for _, v in ipairs(values) do
		local what = string.format("%s: %q", n, v)
		local s = T.message{ headers = { { n, v } } }
		T.tag(s, "optional", what)
		s:close()
		T.has_log(what .. " logged", s.qid .. ": requiretls=optional reason=header field=" .. n)
	end
end

-- with TLS but without the parameter the field still counts
local s = T.message{ helo_macros = T.TLS13, headers = { { "TLS-Required", "No" } } }
T.tag(s, "optional", "TLS session, no parameter, TLS-Required: No")
s:close()

-- no field: no tag
s = T.message{}
T.tag(s, nil, "no field at all")
T.has_log("no-request logged", s.qid .. ": requiretls=none reason=no-request")
s:close()

T.done()
