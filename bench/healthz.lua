function done(summary, latency, requests)
  io.write(string.format('{"requests":%d,"duration_us":%d,"errors_status":%d,"errors_connect":%d,'
    .. '"errors_timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
