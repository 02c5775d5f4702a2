-- Purchases with 3 items and unique receipt numbers, spread over the members in members.txt.
local members = {}
for line in io.lines(os.getenv("BENCH_MEMBERS")) do members[#members + 1] = line end
local key = os.getenv("BENCH_KEY")
local counter = 0
local prefix = "r" .. tostring(math.random(1, 1000000000))
function init(args) prefix = prefix .. "-" .. tostring(math.random(1, 1000000000)) end
function request()
  counter = counter + 1
  local m = members[math.random(1, #members)]
  local body = string.format('{"external_id":"%s-%d","member_id":"%s","currency":"USD","amount":4250,'
    .. '"items":[{"sku":"BEANS","category":"coffee","quantity":1,"unit_price":2000},'
    .. '{"sku":"MUG","category":"merch","quantity":1,"unit_price":1250},'
    .. '{"sku":"MILK","category":"dairy","quantity":1,"unit_price":1000}]}', prefix, counter, m)
  return wrk.format("POST", "/v1/transactions",
    {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end
function done(summary, latency, requests)
  io.write(string.format('{"requests":%d,"duration_us":%d,"errors_status":%d,"errors_connect":%d,'
    .. '"errors_timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
