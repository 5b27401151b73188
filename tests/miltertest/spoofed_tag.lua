-- X-Postward-TLS fields that arrive with a message (any case) are deleted at end of message
-- (a deletion is smfi_chgheader with an empty value: miltertest's MT_HDRDELETE), and only
-- postward's own verdict is added.
local T = dofile(lib)
T.start({})

local s

-- untagged message, one spoofed field
s = T.message{ headers = { { "X-Postward-TLS", "required" } } }
T.tag(s, nil, "untagged + spoofed X-Postward-TLS: required")
T.deleted(s, 1, "untagged + spoofed X-Postward-TLS: required")
s:close()
T.has_log("removal logged", s.qid .. ": removed 1 X-Postward-TLS field(s) that arrived with the message")
T.has_log("untagged verdict logged", s.qid .. ": requiretls=none reason=no-request")

-- untagged message, two spoofed fields in different case
s = T.message{ headers = { { "X-Postward-TLS", "required" }, { "Subject", "x" },
			   { "x-postward-tls", "optional" } } }
T.tag(s, nil, "untagged + X-Postward-TLS and x-postward-tls")
T.deleted(s, 2, "untagged + X-Postward-TLS and x-postward-tls")
s:close()
T.has_log("removal of 2 logged", s.qid .. ": removed 2 X-Postward-TLS field(s)")

-- lower-case spoof alone
s = T.message{ headers = { { "x-postward-tls", "optional" } } }
T.tag(s, nil, "untagged + x-postward-tls: optional")
T.deleted(s, 1, "untagged + x-postward-tls: optional")
s:close()

-- tagged "optional" message carrying a spoofed "required"
s = T.message{ headers = { { "X-Postward-TLS", "required" }, { "TLS-Required", "No" } } }
T.deleted(s, 1, "TLS-Required: No + spoofed required")
T.tag(s, "optional", "TLS-Required: No + spoofed required")
s:close()

-- tagged "required" message carrying a spoofed "optional" (and a spoofed "required")
s = T.message{ helo_macros = T.TLS13, args = { "REQUIRETLS" },
	       headers = { { "x-postward-tls", "optional" }, { "X-POSTWARD-TLS", "required" } } }
T.deleted(s, 2, "REQUIRETLS + two spoofed fields")
T.tag(s, "required", "REQUIRETLS + two spoofed fields")
s:close()

-- a field merely resembling the tag is left alone
s = T.message{ headers = { { "X-Postward-TLS-Note", "required" } } }
T.deleted(s, 0, "X-Postward-TLS-Note is not the tag")
T.tag(s, nil, "X-Postward-TLS-Note is not the tag")
s:close()

T.done()
