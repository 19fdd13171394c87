-- wrk script for bench/ping.sh.
--
--   wrk -d <window + tail>s -s bench/ping.lua http://127.0.0.1:PORT -- UUIDS WINDOW [PREFIX]
--
-- Every request pings a check picked at random from the file UUIDS (one uuid a line).
-- After WINDOW seconds a connection sends nothing more: the delay() hook parks it for an
-- hour, so every ping that was sent is answered (and counted) before wrk stops at the end
-- of the tail. That makes "2xx answers counted here == pings stored" an exact check.
-- done() prints one line starting with "BENCH" that ping.sh parses.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } overdue_bench_timespec;
int clock_gettime(int clock_id, overdue_bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("overdue_bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

-- Main state: the threads, so done() can add up their counters.
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
  table.insert(threads, thread)
end

-- Thread state.
local uuids = {}
local n_uuids = 0
local window_ms = 0
local prefix = "/ping/"
local started_at = nil
ok = 0
non2xx = 0
sent = 0

function init(args)
  local file = args[1]
  window_ms = tonumber(args[2]) * 1000
  if args[3] then
    prefix = args[3]
  end
  for line in io.lines(file) do
    if #line > 0 then
      n_uuids = n_uuids + 1
      uuids[n_uuids] = line
    end
  end
  if n_uuids == 0 then
    error("no uuids in " .. file)
  end
  math.randomseed(os.time() * 100 + (thread_id or 0))
end

function delay()
  local t = now_ms()
  if started_at == nil then
    started_at = t
  end
  if t - started_at >= window_ms then
    return 3600 * 1000
  end
  return 0
end

function request()
  sent = sent + 1
  return wrk.format("GET", prefix .. uuids[math.random(n_uuids)])
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_bad, total_sent = 0, 0, 0
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_bad = total_bad + t:get("non2xx")
    total_sent = total_sent + t:get("sent")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH sent=%d responses=%d ok=%d non2xx=%d connect=%d read=%d write=%d timeout=%d "
      .. "duration_us=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d mean_us=%.1f\n",
    total_sent, summary.requests, total_ok, total_bad, e.connect, e.read, e.write, e.timeout,
    summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
