-- wrk script for bench/ingest.py: each wrk thread POSTs the request bodies of its own file
-- (one JSON body per line, ids unique across files) round-robin, with the token header, and
-- reports latency percentiles and status counts as one JSON line.
local threads = {}
local counter = 0

function setup(thread)
   thread:set("index", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   local prefix, token = args[1], args[2]
   bodies = {}
   for line in io.lines(prefix .. "." .. index) do
      bodies[#bodies + 1] = line
   end
   position = 0
   non_201 = 0
   headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Token " .. token }
end

function request()
   position = position % #bodies + 1
   return wrk.format("POST", "/api/v1/events/", headers, bodies[position])
end

function response(status, headers, body)
   if status ~= 201 then
      non_201 = non_201 + 1
   end
end

function done(summary, latency, requests)
   local failed = 0
   for _, thread in ipairs(threads) do
      failed = failed + thread:get("non_201")
   end
   io.write(string.format(
      '{"requests": %d, "seconds": %.3f, "non_201": %d, "socket_errors": %d, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f}\n',
      summary.requests, summary.duration / 1e6, failed,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3))
end
