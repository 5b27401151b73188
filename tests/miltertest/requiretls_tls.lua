-- REQUIRETLS on a TLS session: the message goes through and is tagged "required".
-- TLS is known from {tls_version} or {cipher}, given at HELO or only at MAIL; the parameter
-- is recognised in any case.
local T = dofile(lib)
T.start({})

local s

-- TLS macros at HELO, parameter in upper case
s = T.message{ helo_macros = T.TLS13, from = "<alice@a.example>", args = { "REQUIRETLS" } }
T.ok(s.r.mail == SMFIR_CONTINUE, "TLS at HELO + REQUIRETLS: MAIL continues (" .. T.rname(s.r.mail) .. ")")
T.tag(s, "required", "TLS at HELO + REQUIRETLS")
T.deleted(s, 0, "TLS at HELO + REQUIRETLS")
T.has_log("TLS at HELO + REQUIRETLS: decision logged", s.qid .. ": requiretls=required reason=mail-parameter")
local first = s

-- a second message on the same connection: the HELO macros still hold
first:mail("<alice@a.example>", { "REQUIRETLS" })
T.ok(first.r.mail == SMFIR_CONTINUE, "second message, same TLS connection: MAIL continues (" .. T.rname(first.r.mail) .. ")")
first:rcpt("<bob@b.example>")
first:rest({ { "From", "alice@a.example" } })
T.tag(first, "required", "second message on the same TLS connection")
first:close()

-- only {cipher} at HELO
s = T.message{ helo_macros = { "{cipher}", "ECDHE-RSA-AES256-GCM-SHA384" }, args = { "REQUIRETLS" } }
T.tag(s, "required", "only {cipher} at HELO")
s:close()

-- only {tls_version} at HELO
s = T.message{ helo_macros = { "{tls_version}", "TLSv1.2" }, args = { "REQUIRETLS" } }
T.tag(s, "required", "only {tls_version} at HELO")
s:close()

-- TLS macros given only at MAIL
s = T.message{ mail_macros = T.TLS13, args = { "REQUIRETLS" } }
T.ok(s.r.mail == SMFIR_CONTINUE, "TLS macros only at MAIL: MAIL continues (" .. T.rname(s.r.mail) .. ")")
T.tag(s, "required", "TLS macros only at MAIL")
s:close()

-- lower and mixed case parameter
for _, p in ipairs({ "requiretls", "RequireTLS", "RequireTls" }) do
	s = T.message{ helo_macros = T.TLS13, args = { p } }
	T.ok(s.r.mail == SMFIR_CONTINUE, p .. " on TLS: MAIL continues (" .. T.rname(s.r.mail) .. ")")
	T.tag(s, "required", p .. " on TLS")
	s:close()
end

-- REQUIRETLS among other parameters
s = T.message{ helo_macros = T.TLS13, args = { "BODY=8BITMIME", "REQUIRETLS", "SIZE=1000" } }
T.tag(s, "required", "REQUIRETLS among BODY= and SIZE=")
s:close()

-- TLS but no parameter and nothing else: no tag
s = T.message{ helo_macros = T.TLS13, args = { "BODY=8BITMIME" } }
T.tag(s, nil, "TLS, no REQUIRETLS, no field, no rule")
T.has_log("no request logged", s.qid .. ": requiretls=none reason=no-request")
s:close()

T.done()
