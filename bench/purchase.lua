-- Purchases with 3 items and unique receipt numbers, spread over the members in members.txt.
local members = {}
for line in io.lines(os.getenv("BENCH_MEMBERS")) do members[#members + 1] = line end
local key = os.getenv("BENCH_KEY")
local counter = 0
PREFIX_LETTER = "r"
prefix = ""
-- wrk seeds every thread's Lua the same way, so without this two threads (and two runs) would
-- send the same receipt numbers and measure idempotent replays instead of purchases.
local threads_made = 0
function setup(thread) threads_made = threads_made + 1; thread:set("thread_no", threads_made) end
function init(args)
  local f = assert(io.open("/dev/urandom", "rb"))
  local bytes = f:read(6)
  f:close()
  local n = 0
  for i = 1, #bytes do n = n * 256 + bytes:byte(i) end
  math.randomseed(n + (thread_no or 0))
  prefix = string.format("%s%x-%d", PREFIX_LETTER, n, thread_no or 0)
end
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
