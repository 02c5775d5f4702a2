-- 70% balance reads, 20% purchases, 8% redemptions, 2% returns of this thread's purchases.
local members = {}
for line in io.lines(os.getenv("BENCH_MEMBERS")) do members[#members + 1] = line end
local key = os.getenv("BENCH_KEY")
local counter = 0
PREFIX_LETTER = "m"
prefix = ""
local purchases = {}
local pending_purchase = false
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
local headers = {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}
function request()
  counter = counter + 1
  local m = members[math.random(1, #members)]
  local r = math.random(1, 100)
  pending_purchase = false
  if r <= 70 then
    return wrk.format("GET", "/v1/members/" .. m .. "/balance", {["Authorization"] = "Bearer " .. key})
  elseif r <= 90 or #purchases == 0 then
    pending_purchase = true
    return wrk.format("POST", "/v1/transactions", headers, string.format(
      '{"external_id":"%s-%d","member_id":"%s","currency":"USD","amount":4250}', prefix, counter, m))
  elseif r <= 98 then
    return wrk.format("POST", "/v1/members/" .. m .. "/redemptions", headers,
      '{"points":1,"reason":"bench"}')
  else
    local p = purchases[math.random(1, #purchases)]
    return wrk.format("POST", "/v1/transactions/" .. p .. "/returns", headers, string.format(
      '{"external_id":"%s-ret-%d","amount":10}', prefix, counter))
  end
end
function response(status, hdrs, body)
  if pending_purchase and status == 201 and #purchases < 1000 then
    local id = string.match(body, '"id":"(txn_[0-9a-z]+)"')
    if id then purchases[#purchases + 1] = id end
  end
end
function done(summary, latency, requests)
  io.write(string.format('{"requests":%d,"duration_us":%d,"errors_status":%d,"errors_connect":%d,'
    .. '"errors_timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
