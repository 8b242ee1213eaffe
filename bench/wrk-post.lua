-- wrk script for bench/webhook.sh: POST one AdmissionReview body again and
-- again on each kept-alive connection, and print one machine-readable line.
--
--   SNUG_BENCH_BODY      file holding the request body (required)
--   SNUG_BENCH_DELAY_MS  if > 0, each connection waits on average this many
--                        ms (exponentially distributed) before each request:
--                        a fixed-rate load of about
--                        connections * 1000 / (delay + latency) requests/s.
--                        wrk measures latency from the write of a request to
--                        its response, so the wait is not counted.

local path = os.getenv("SNUG_BENCH_BODY")
assert(path, "SNUG_BENCH_BODY is not set")
local f = assert(io.open(path, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.path = "/mutate"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

-- The wait is drawn from an exponential distribution with that mean (the
-- gaps of a Poisson arrival process, as independent clients make), not a
-- constant: with a constant wait, connections that start together stay in
-- step and the server sees all of them at once every period -- bursts of
-- its whole connection count, not the rate asked for.
local delay_ms = tonumber(os.getenv("SNUG_BENCH_DELAY_MS") or "0")
if delay_ms > 0 then
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003)
  function delay()
    return math.floor(-delay_ms * math.log(1 - math.random()) + 0.5)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
