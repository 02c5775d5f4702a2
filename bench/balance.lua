-- Balance reads spread over the members in members.txt.
local members = {}
for line in io.lines(os.getenv("BENCH_MEMBERS")) do members[#members + 1] = line end
local key = os.getenv("BENCH_KEY")
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
