-- SIGHUP to postward (the supervisor, the process mt.startfilter started) reloads the
-- configuration and the policy files:
--   * a message in flight finishes under the policy it started with (snapshot at MAIL FROM);
--   * new messages use the new policy;
--   * a broken policy file is reported as "reload failed, keeping the running policy:
--     FILE:LINE: message" and the running policy stays in force;
--   * configuration settings (tls_required_unknown) are reloaded too;
--   * SIGUSR1 sent straight to the worker also reloads.
-- Every wait is for a log line, in a bounded polling loop.
local T = dofile(lib)
local SIGHUP, SIGUSR1 = 1, 10
local pol = T.path("policy")
T.start({}, { ["policy"] = "require_tls sender_domain a.example\n" })

local RELOADED = "reloaded: "
local FAILED = "reload failed, keeping the running policy: "

local function msg(from, headers)
	return T.message{ from = from, headers = headers }
end

local function finish(s, headers)
	s:rcpt("<rcpt@example.net>")
	return s:rest(headers or { { "From", "x@example.org" } })
end

local s, inflight

-- before any reload
s = msg("<x@a.example>")
T.tag(s, "required", "start: a.example has a rule")
s:close()

-- a message begins under the first policy ...
inflight = T.session{}
T.ok(inflight:mail("<early@a.example>", {}) == SMFIR_CONTINUE, "in-flight message 1: MAIL FROM accepted")

-- ... the policy loses the a.example rule and postward is told to reload ...
T.write(pol, "# a.example removed\nrequire_tls sender_domain other.example\n")
mt.signal(SIGHUP)
T.ok(T.wait_log(RELOADED, 1, 10), "SIGHUP 1: reload logged")
T.has_log("SIGHUP 1: rule and file counts", "reloaded: 1 policy rule(s) from 1 file(s), 0 list(s)")

-- ... the message in flight still finishes under the old policy
finish(inflight)
T.tag(inflight, "required", "in-flight message 1 finishes under the policy it started with")
inflight:close()
T.has_log("in-flight message 1: old rule named", inflight.qid .. ": requiretls=required reason=policy rule=" .. pol .. ":1 sender_domain=a.example")

-- new messages see the new policy
s = msg("<x@a.example>")
T.tag(s, nil, "after SIGHUP 1: a.example has no rule")
s:close()
s = msg("<x@other.example>")
T.tag(s, "required", "after SIGHUP 1: other.example has a rule")
s:close()
T.has_log("after SIGHUP 1: new rule named", s.qid .. ": requiretls=required reason=policy rule=" .. pol .. ":2 sender_domain=other.example")

-- a broken policy file is refused and the running policy stays
T.write(pol, "require_tls sender_domain a.example\nrequire_tls bogus x.example\n")
mt.signal(SIGHUP)
T.ok(T.wait_log(FAILED, 1, 10), "SIGHUP 2 (broken file): reload failure logged")
T.has_log("SIGHUP 2: failure names FILE:LINE", FAILED .. pol .. ':2: unknown selector "bogus"')
T.ok(T.count(T.logtext(), RELOADED) == 1, "SIGHUP 2: no second \"reloaded:\" line")
s = msg("<x@other.example>")
T.tag(s, "required", "after failed SIGHUP 2: running policy (other.example) still applies")
s:close()
s = msg("<x@a.example>")
T.tag(s, nil, "after failed SIGHUP 2: the broken file's a.example rule is not used")
s:close()

-- a message begins while a.example has no rule; the rule comes back (and the configuration
-- changes) while it is in flight
inflight = T.session{}
T.ok(inflight:mail("<late@a.example>", {}) == SMFIR_CONTINUE, "in-flight message 2: MAIL FROM accepted")
T.write(pol, "require_tls sender_domain a.example\n")
T.write(T.conf, T.NOPRACTICES .. T.NORCPTCHECK .. "tls_required_unknown = reject\npolicy_files = " .. pol .. "\n")
mt.signal(SIGHUP)
T.ok(T.wait_log(RELOADED, 2, 10), "SIGHUP 3: reload logged")
finish(inflight)
T.tag(inflight, nil, "in-flight message 2 finishes without the rule added meanwhile")
inflight:close()
s = msg("<x@a.example>")
T.tag(s, "required", "after SIGHUP 3: a.example has a rule again")
s:close()
s = msg("<x@b.example>", { { "TLS-Required", "Yes" } })
T.rejected(s, "eoh", "after SIGHUP 3: tls_required_unknown = reject is in force")
s:close()

-- a policy file that disappears: reload refused, running policy kept
os.remove(pol)
mt.signal(SIGHUP)
T.ok(T.wait_log(FAILED, 2, 10), "SIGHUP 4 (missing file): reload failure logged")
T.has_log("SIGHUP 4: failure names the file", FAILED .. pol .. ": cannot read: No such file or directory")
s = msg("<x@a.example>")
T.tag(s, "required", "after failed SIGHUP 4: running policy still applies")
s:close()

-- SIGUSR1 to the worker reloads as well.  The worker is the process running postward with our
-- configuration whose parent is the other such process (the supervisor).
T.write(pol, "require_tls sender_domain c.example\n")
local pids, worker = {}, nil
local p = io.popen("pgrep -f -- " .. T.sq(T.conf))
for line in p:lines() do pids[tonumber(line)] = true end
p:close()
for pid in pairs(pids) do
	local st = T.read("/proc/" .. pid .. "/stat")
	local ppid = tonumber(st:match("^%d+ %b() %S+ (%d+)") or "")
	if ppid and pids[ppid] then worker = pid end
end
if T.ok(worker ~= nil, "found the worker process") then
	os.execute("kill -USR1 " .. worker)
	T.ok(T.wait_log(RELOADED, 3, 10), "SIGUSR1 to the worker: reload logged")
	s = msg("<x@c.example>")
	T.tag(s, "required", "after SIGUSR1: c.example has a rule")
	s:close()
	s = msg("<x@a.example>")
	T.tag(s, nil, "after SIGUSR1: a.example no longer has one")
	s:close()
end

T.done()
