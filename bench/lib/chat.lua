-- SPDX-License-Identifier: MIT
-- wrk script: LLM-style calls (POST an OpenAI chat completion request).
-- BENCH_RATE=N holds N calls/s per wrk thread on an open-loop schedule
-- (call k is due at t0 + k/N; a connection that is free sends the next
-- due call), so slow answers do not lower the offered rate while there are
-- free connections. Without BENCH_RATE it sends as fast as it can.
-- done() prints one WRKJSON line that bench/lib/benchlib.py reads.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

wrk.method = "POST"
wrk.body = '{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are terse."},' ..
           '{"role":"user","content":"Say ok."}],"max_tokens":16,"temperature":0}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench-0000000000000000"
wrk.headers["User-Agent"] = "agentrace-bench/1"

local rate = tonumber(os.getenv("BENCH_RATE") or "")
local t0, k = nil, 0

if rate then
  function delay()
    local n = now_ms()
    if not t0 then t0 = n end
    local due = t0 + k * 1000 / rate
    k = k + 1
    if due <= n then return 0 end
    return math.floor(due - n)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
