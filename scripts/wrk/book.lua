-- POST /v1/bookings with random, mostly non-conflicting slots: 3-day bookings starting on a
-- random day within 30 years, `line: null` over a suite with many lines.
-- usage: wrk ... -s book.lua URL -- KEY PROGRAM_ID SUITE_ID[,SUITE_ID...] (a random suite each time)
local counter = 0
local suites = {}
function init(args)
  key, program = args[1], args[2]
  for id in string.gmatch(args[3], "[^,]+") do suites[#suites + 1] = id end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end
local function date(offset)
  return os.date("!%Y-%m-%d", 1893456000 + offset * 86400) -- from 2030-01-01
end
function request()
  counter = counter + 1
  local d = math.random(0, 365 * 30)
  local suite = suites[math.random(1, #suites)]
  local body = string.format(
    '{"program_id":"%s","suite_id":"%s","line":null,"start":"%s","end":"%s","status":"confirmed","hold_expires_at":null,"note":null}',
    program, suite, date(d), date(d + 3))
  return wrk.format("POST", "/v1/bookings",
    {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end
local codes = {}
function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end
function done(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
