-- require_tls auth_user ({auth_authen} at MAIL, exact and case-sensitive) and client_network
-- (IPv4 / IPv6, address or address/prefix, from the connect information).
local T = dofile(lib)
local pol = T.path("policy")
T.start({}, { ["policy"] = table.concat({
	"require_tls auth_user alice bob@example.org",
	"require_tls client_network 192.0.2.0/24 198.51.100.7 2001:db8:1::/48",
	"require_tls client_network 2001:db8:ffff::1",
	"" }, "\n") })

local function case(what, o, tag, logparts)
	local s = T.message(o)
	T.tag(s, tag, what)
	s:close()
	if logparts then T.has_log(what .. ": logged", s.qid .. ": ", logparts) end
	return s
end

-- auth_user
case("auth alice", { mail_macros = { "{auth_type}", "PLAIN", "{auth_authen}", "alice" } }, "required",
     "requiretls=required reason=policy rule=" .. pol .. ":1 auth_user=alice")
case("auth bob@example.org", { mail_macros = { "{auth_authen}", "bob@example.org" } }, "required")
case("auth Alice (case-sensitive)", { mail_macros = { "{auth_authen}", "Alice" } }, nil)
case("auth alice2", { mail_macros = { "{auth_authen}", "alice2" } }, nil)
case("auth empty", { mail_macros = { "{auth_authen}", "" } }, nil)
case("no auth", {}, nil, "requiretls=none reason=no-request")

-- client_network, IPv4
case("client 192.0.2.77 in 192.0.2.0/24", { ip = "192.0.2.77" }, "required",
     "requiretls=required reason=policy rule=" .. pol .. ":2 client_network=192.0.2.0/24")
case("client 192.0.2.0 (network address)", { ip = "192.0.2.0" }, "required")
case("client 192.0.2.255", { ip = "192.0.2.255" }, "required")
case("client 192.0.3.1 outside", { ip = "192.0.3.1" }, nil)
case("client 198.51.100.7 (single address)", { ip = "198.51.100.7" }, "required")
case("client 198.51.100.8 outside", { ip = "198.51.100.8" }, nil)
case("client 203.0.113.7 outside", { ip = "203.0.113.7" }, nil, "requiretls=none reason=no-request")

-- client_network, IPv6
case("client 2001:db8:1::25 in 2001:db8:1::/48", { ip = "2001:db8:1::25" }, "required",
     "requiretls=required reason=policy rule=" .. pol .. ":2 client_network=2001:db8:1::/48")
case("client 2001:db8:1:ffff:ffff:ffff:ffff:ffff (last of /48)", { ip = "2001:db8:1:ffff:ffff:ffff:ffff:ffff" }, "required")
case("client 2001:db8:2::1 outside", { ip = "2001:db8:2::1" }, nil)
case("client 2001:db8:ffff::1 (single IPv6 address)", { ip = "2001:db8:ffff::1" }, "required",
     "rule=" .. pol .. ":3 client_network=2001:db8:ffff::1")
case("client 2001:db8:ffff::2 outside", { ip = "2001:db8:ffff::2" }, nil)
case("client ::1 outside", { ip = "::1" }, nil)

-- a client of unknown address family matches no network
case("client of unknown family", { ip = "unspec" }, nil)

-- a rule overrides "TLS-Required: No"
local s = case("network rule + TLS-Required: No", { ip = "192.0.2.9", headers = { { "TLS-Required", "No" } } }, "required")
T.has_log("network rule + TLS-Required: No: ignored field logged", s.qid .. ": ignored TLS-Required field")
case("auth rule + TLS-Required: NO (x)", { mail_macros = { "{auth_authen}", "alice" },
     headers = { { "TLS-Required", "NO (x)" } } }, "required")
-- and outside the rules the field still counts
case("outside rules + TLS-Required: No", { ip = "192.0.3.1", headers = { { "TLS-Required", "No" } } }, "optional")

T.done()
