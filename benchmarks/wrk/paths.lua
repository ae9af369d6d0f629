-- Rotate over the paths listed (one per line) in the file named by WRK_PATHS, with the
-- headers named in WRK_HEADER ("Name: value"), and report latency percentiles as one
-- JSON line on stdout when the run ends (wrk's `done` hook; latencies in microseconds).
local paths = {}
local n = 0

local file = os.getenv("WRK_PATHS")
if file then
  for line in io.lines(file) do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
end
if #paths == 0 then
  paths[1] = "/"
end

local header = os.getenv("WRK_HEADER")
if header then
  local name, value = header:match("^([^:]+):%s*(.*)$")
  if name then
    wrk.headers[name] = value
  end
end
wrk.headers["Accept-Encoding"] = "gzip"

-- WRK_DELAY_MS paces each connection (a pause before each request): the offered rate is
-- then about connections / (pause + latency), not as fast as the server can answer.
local pause = tonumber(os.getenv("WRK_DELAY_MS") or "0")
if pause > 0 then
  function delay()
    return pause
  end
end

function init(args)
  -- each thread starts at a different place in the list
  n = math.random(#paths) - 1
end

function request()
  n = n % #paths + 1
  return wrk.format(nil, paths[n])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "errors_connect": %d, ' ..
    '"errors_read": %d, "errors_write": %d, "errors_status": %d, "errors_timeout": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
