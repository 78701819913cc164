-- wrk script: GET requests (the URL's path), printing latency percentiles at the end.
--   wrk -t1 -c4 -d8s -s bench/latency.lua http://127.0.0.1:3200/healthz
-- Prints key=value lines (read by scripts/bench.sh): requests, rps, non_2xx, p50_ms, p99_ms, max_ms

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non_2xx = 0
end

function response(status, headers, body)
  if status < 200 or status >= 300 then
    non_2xx = non_2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non_2xx") or 0)
  end
  io.write(string.format("requests=%d\n", summary.requests))
  io.write(string.format("rps=%.0f\n", summary.requests / (summary.duration / 1000000)))
  io.write(string.format("non_2xx=%d\n", bad))
  io.write(string.format("p50_ms=%.2f\n", latency:percentile(50) / 1000))
  io.write(string.format("p99_ms=%.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("max_ms=%.2f\n", latency.max / 1000))
end
