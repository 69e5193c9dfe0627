-- GET /v1/availability over two years for autologous grade-B suites.
-- usage: wrk ... -s availability.lua URL -- KEY
function init(args)
  key = args[1]
end
function request()
  return wrk.format("GET", "/v1/availability?from=2030-01-01&to=2032-01-01&capabilities=autologous&min_grade=B&days=5",
    {["Authorization"] = "Bearer " .. key})
end
function done(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
