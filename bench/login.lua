-- wrk script: POSTs the sign-in form to the login server function.
--   wrk -t2 -c32 -d10s -s bench/login.lua http://127.0.0.1:3200
-- Environment:
--   BENCH_EMAIL, BENCH_PASSWORD   credentials to send (a wrong password makes a flood)
--   BENCH_LOGIN_PATH              default /rpc/login
-- Prints key=value lines at the end (read by scripts/bench.sh):
--   login_requests, login_ok (2xx/3xx), login_ok_with_cookie (2xx/3xx + Set-Cookie),
--   login_rejected (4xx), login_server_error (5xx), login_ok_per_sec, login_p99_ms

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local email = os.getenv("BENCH_EMAIL") or "bench@example.com"
local password = os.getenv("BENCH_PASSWORD") or "bench-password"

wrk.method = "POST"
wrk.path = os.getenv("BENCH_LOGIN_PATH") or "/rpc/login"
wrk.body = "email=" .. urlencode(email) .. "&password=" .. urlencode(password)
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
-- Not text/html: a plain HTML form post would be answered with a redirect to the Referer.
wrk.headers["Accept"] = "application/json"

-- BENCH_RANDOM_EMAIL=1: every request signs in as a new unknown address (a flood that no
-- per-account lockout stops; each costs one full Argon2 verification).
local random_email = os.getenv("BENCH_RANDOM_EMAIL") == "1"
-- BENCH_RANDOM_SOURCE=1: every request comes from its own client address, as a trusted proxy
-- in front of Secryn reports it (X-Forwarded-For): many people signing in at once, rather than
-- one address signing one account in 32 times at once (which Secryn holds to 5 in flight).
local random_source = os.getenv("BENCH_RANDOM_SOURCE") == "1"
local counter = 0
if random_email or random_source then
  request = function()
    counter = counter + 1
    local body = wrk.body
    if random_email then
      body = "email=" .. urlencode("flood-" .. tostring(math.random(1, 1e9)) .. "-" .. counter .. "@example.com")
        .. "&password=" .. urlencode(password)
    end
    local headers = nil
    if random_source then
      headers = {}
      for k, v in pairs(wrk.headers) do headers[k] = v end
      headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
    end
    return wrk.format(nil, nil, headers, body)
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  ok_cookie = 0
  rejected = 0
  server_error = 0
end

function response(status, headers, body)
  if status >= 200 and status < 400 then
    ok = ok + 1
    if headers["Set-Cookie"] or headers["set-cookie"] then
      ok_cookie = ok_cookie + 1
    end
  elseif status >= 500 then
    server_error = server_error + 1
  else
    rejected = rejected + 1
  end
end

function done(summary, latency, requests)
  local t = { ok = 0, ok_cookie = 0, rejected = 0, server_error = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do
      t[k] = t[k] + (thread:get(k) or 0)
    end
  end
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("login_requests=%d\n", summary.requests))
  io.write(string.format("login_ok=%d\n", t.ok))
  io.write(string.format("login_ok_with_cookie=%d\n", t.ok_cookie))
  io.write(string.format("login_rejected=%d\n", t.rejected))
  io.write(string.format("login_server_error=%d\n", t.server_error))
  io.write(string.format("login_socket_errors=%d\n", e.connect + e.read + e.write + e.timeout))
  io.write(string.format("login_ok_per_sec=%.1f\n", t.ok / secs))
  io.write(string.format("login_cookie_per_sec=%.1f\n", t.ok_cookie / secs))
  io.write(string.format("login_p99_ms=%.2f\n", latency:percentile(99) / 1000))
end
