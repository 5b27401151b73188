-- require_tls sender_domain / recipient_domain rules: exact domain and ".domain" (subdomains
-- only), case-insensitive; any recipient matching tags the whole message; rules from several
-- policy files (policy_files separated by commas and blanks) all apply; a rule overrides a
-- "TLS-Required: No" field.
local T = dofile(lib)
local p1 = T.path("p1.policy")
local p2 = T.path("p2.policy")
T.start({ "policy_files = " .. p1 .. ",  " .. p2 }, {
	["p1.policy"] = "# sender rules\n" ..
			"require_tls sender_domain a.example .corp.example\n" ..
			"\n" ..
			"require_tls  recipient_domain\tbank.example   .sub.example  # trailing comment\n",
	["p2.policy"] = "require_tls recipient_domain Upper.Example\n",
})

local function case(what, o, tag, logparts)
	local s = T.message(o)
	T.tag(s, tag, what)
	s:close()
	if logparts then T.has_log(what .. ": logged", s.qid .. ": ", logparts) end
	return s
end

case("sender a.example", { from = "<alice@a.example>" }, "required",
     "requiretls=required reason=policy rule=" .. p1 .. ":2 sender_domain=a.example")
case("sender A.EXAMPLE (case)", { from = "<alice@A.EXAMPLE>" }, "required")
case("sender x.a.example (exact rule only)", { from = "<alice@x.a.example>" }, nil,
     "requiretls=none reason=no-request")
case("sender aa.example", { from = "<alice@aa.example>" }, nil)
case("sender dept.corp.example (.corp.example)", { from = "<bob@dept.corp.example>" }, "required",
     "requiretls=required reason=policy rule=" .. p1 .. ":2 sender_domain=dept.corp.example")
case("sender corp.example (not a subdomain of itself)", { from = "<bob@corp.example>" }, nil)
case("sender xcorp.example", { from = "<bob@xcorp.example>" }, nil)
case("null sender <>", { from = "<>" }, nil)

case("recipient bank.example", { rcpts = { "<c@bank.example>" } }, "required",
     "requiretls=required reason=policy rule=" .. p1 .. ":4 recipient_domain=bank.example")
case("second of three recipients bank.example",
     { rcpts = { "<c@other.example>", "<d@BANK.example>", "<e@third.example>" } }, "required")
case("recipient x.sub.example", { rcpts = { "<c@x.sub.example>" } }, "required",
     "recipient_domain=x.sub.example")
case("recipient sub.example", { rcpts = { "<c@sub.example>" } }, nil)
case("recipient notbank.example", { rcpts = { "<c@notbank.example>" } }, nil)
case("recipient upper.example (second policy file, pattern in mixed case)",
     { rcpts = { "<c@upper.example>" } }, "required",
     "rule=" .. p2 .. ":1 recipient_domain=upper.example")
case("no rule matches", { from = "<z@z.example>", rcpts = { "<y@y.example>" } }, nil,
     "requiretls=none reason=no-request")

-- a rule overrides "TLS-Required: No"
local s = case("rule + TLS-Required: No", { from = "<alice@a.example>", headers = { { "TLS-Required", "No" } } },
	       "required", "requiretls=required reason=policy")
T.has_log("rule + TLS-Required: No: ignored field logged", s.qid .. ": ignored TLS-Required field")
case("rule (recipient) + RequireTLS: no", { rcpts = { "<c@bank.example>" }, headers = { { "RequireTLS", "no" } } },
     "required")
-- but not two fields: those are refused before the rules are consulted
s = T.message{ from = "<alice@a.example>", headers = { { "TLS-Required", "No" }, { "TLS-Required", "No" } } }
T.rejected(s, "eoh", "rule + two TLS-Required fields")
s:close()

-- no REQUIRETLS refusal because of a rule: rules tag, they do not refuse non-TLS sessions
case("rule on a session without TLS is still accepted", { from = "<alice@a.example>" }, "required")

T.done()
