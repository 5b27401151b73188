-- REQUIRETLS refused at MAIL FROM: without a TLS session (530 5.7.10), and when written with
-- a value (501 5.5.4).  The reply text is not visible to miltertest at MAIL (only the reply
-- type is), so the text is checked in postward's log line.
local T = dofile(lib)
T.start({})

local s

-- no TLS macros at all; no queue id yet (NOQUEUE in the log)
for _, p in ipairs({ "REQUIRETLS", "requiretls", "RequireTLS" }) do
	s = T.message{ from = "<nocrypt@a.example>", args = { p }, qid = false }
	T.rejected(s, "mail", p .. " without TLS")
	s:close()
end
T.has_log("530 logged with NOQUEUE", "NOQUEUE: reject: MAIL from=<nocrypt@a.example>",
	  "530 5.7.10 REQUIRETLS requires a TLS session")

-- empty TLS macros do not make a TLS session
s = T.message{ helo_macros = { "{tls_version}", "", "{cipher}", "" }, args = { "REQUIRETLS" } }
T.rejected(s, "mail", "REQUIRETLS with empty {tls_version} and {cipher}")
s:close()

-- unrelated macros at HELO/MAIL do not either
s = T.message{ helo_macros = { "{cipher_bits}", "256", "{cert_subject}", "x" },
	       mail_macros = { "{auth_type}", "PLAIN", "{auth_authen}", "alice" },
	       args = { "REQUIRETLS" } }
T.rejected(s, "mail", "REQUIRETLS with {cipher_bits}/{cert_subject}/{auth_*} but no TLS")
s:close()

-- REQUIRETLS=value, on a TLS session and without
s = T.message{ helo_macros = T.TLS13, from = "<v@a.example>", args = { "REQUIRETLS=yes" }, qid = false }
T.rejected(s, "mail", "REQUIRETLS=yes on TLS")
s:close()
T.has_log("501 logged", "reject: MAIL from=<v@a.example>", "501 5.5.4 REQUIRETLS takes no value")

s = T.message{ args = { "requiretls=" } }
T.rejected(s, "mail", "requiretls= (empty value) without TLS")
s:close()

-- a parameter that only starts with REQUIRETLS is something else: no refusal, no tag
s = T.message{ args = { "REQUIRETLSX" } }
T.tag(s, nil, "REQUIRETLSX is not REQUIRETLS")
s:close()

-- after a refused MAIL the same connection can carry a good message (the MTA aborts first)
s = T.session{}
s:mail("<x@a.example>", { "REQUIRETLS" })
T.ok(s.r.mail == SMFIR_REPLYCODE, "same connection: first MAIL refused (" .. T.rname(s.r.mail) .. ")")
s:abort()
s:mail("<x@a.example>", {})
T.ok(s.r.mail == SMFIR_CONTINUE, "same connection: next MAIL continues (" .. T.rname(s.r.mail) .. ")")
s:rcpt("<r@b.example>")
s:rest({ { "TLS-Required", "No" } })
T.tag(s, "optional", "same connection after a refused MAIL")
s:close()

T.done()
