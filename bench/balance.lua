-- Balance reads spread over the members in members.txt.
local members = {}
for line in io.lines(os.getenv("BENCH_MEMBERS")) do members[#members + 1] = line end
local key = os.getenv("BENCH_KEY")
local threads_made = 0
function setup(thread) threads_made = threads_made + 1; thread:set("thread_no", threads_made) end
-- A different member sequence per thread and per run (wrk seeds every thread the same way).
function init(args) math.randomseed(os.time() * 100 + (thread_no or 0)) end
function request()
  local m = members[math.random(1, #members)]
  return wrk.format("GET", "/v1/members/" .. m .. "/balance", {["Authorization"] = "Bearer " .. key})
end
function done(summary, latency, requests)
  io.write(string.format('{"requests":%d,"duration_us":%d,"errors_status":%d,"errors_connect":%d,'
    .. '"errors_timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
