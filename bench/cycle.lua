-- wrk script for bench/intake.py: each thread sends the requests of its own data file in
-- order, cycling only if the run outlasts the file, and done() prints one parseable line
-- (BENCH_RESULT, then JSON; latencies in microseconds).
--
-- Data file lines are "<X-Signature>\t<form body>"; an empty signature sends no header
-- (the bare view). Requests are formatted once in init() so the per-request cost in the
-- client is a table lookup, the same for the intake and the baseline.

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   local path = args[1] .. "." .. tid .. ".tsv"
   requests_ = {}
   for line in io.lines(path) do
      local sig, body = line:match("^([^\t]*)\t(.*)$")
      local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
      if sig ~= "" then
         headers["X-Signature"] = sig
      end
      requests_[#requests_ + 1] = wrk.format("POST", nil, headers, body)
   end
   count_ = #requests_
   sent = 0
end

function request()
   local r = requests_[(sent % count_) + 1]
   sent = sent + 1
   return r
end

-- Percentile levels printed for each run: 0.1 to 99.9 in steps of 0.1, then 99.95 and
-- 99.99, so that runs of one endpoint can be merged into one distribution.
local function quantiles(latency)
   local values = {}
   for k = 1, 999 do
      values[#values + 1] = string.format("%d", latency:percentile(k / 10))
   end
   values[#values + 1] = string.format("%d", latency:percentile(99.95))
   values[#values + 1] = string.format("%d", latency:percentile(99.99))
   return table.concat(values, ",")
end

function done(summary, latency, requests)
   -- Requests handed to the socket, per thread: an upper bound on what the server saw.
   local issued, most = 0, 0
   for _, t in ipairs(threads) do
      local n = t:get("sent")
      issued = issued + n
      if n > most then most = n end
   end
   local e = summary.errors
   io.write(string.format(
      "BENCH_RESULT {\"duration_us\":%d,\"requests\":%d,\"issued\":%d," ..
      "\"most_per_thread\":%d,\"err_connect\":%d,\"err_read\":%d,\"err_write\":%d," ..
      "\"err_status\":%d,\"err_timeout\":%d,\"max_us\":%d,\"quantiles_us\":[%s]}\n",
      summary.duration, summary.requests, issued, most,
      e.connect, e.read, e.write, e.status, e.timeout, latency.max, quantiles(latency)))
end
