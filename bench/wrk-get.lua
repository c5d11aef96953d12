-- Licensed under the Apache License, Version 2.0.
-- wrk script for plain requests (headers come from -H): only the summary,
-- as one JSON line, so that bench.py reads numbers rather than prose.
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d,' ..
      '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max))
end
