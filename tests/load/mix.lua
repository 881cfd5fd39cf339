-- A traffic mix for wrk against akua-local: mostly authorized reads, some
-- token creates, some rejected credentials (bad checksum, unknown, garbage).
-- TOKEN and WS come from the environment (set by run.sh).
local token = os.getenv("TOKEN")
local unknown = os.getenv("UNKNOWN")
local counter = 0

request = function()
  counter = counter + 1
  local slot = counter % 20
  if slot < 14 then
    return wrk.format("GET", "/v1/api_tokens?limit=5", { ["Authorization"] = "Bearer " .. token })
  elseif slot < 16 then
    return wrk.format("POST", "/v1/api_tokens",
      { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" },
      '{"name":"load","role":"member","expires_at":' .. (os.time() + 3600) .. '}')
  elseif slot < 18 then
    return wrk.format("GET", "/v1/api_tokens", { ["Authorization"] = "Bearer " .. unknown })
  elseif slot < 19 then
    return wrk.format("GET", "/v1/api_tokens", { ["Authorization"] = "Bearer sk_akua_00000000000000000000000000000000" })
  else
    return wrk.format("GET", "/v1/api_tokens", { ["Authorization"] = "Basic Zm9vOmJhcg==" })
  end
end

-- Count statuses per thread: 2xx for the authorized share, 401 for the
-- rejected share; anything else is an unexpected error.
local threads = {}
setup = function(thread)
  table.insert(threads, thread)
end

ok, rejected, unexpected = 0, 0, 0
response = function(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status == 401 then
    rejected = rejected + 1
  else
    unexpected = unexpected + 1
  end
end

done = function(summary, latency, requests)
  local o, r, u = 0, 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok")
    r = r + t:get("rejected")
    u = u + t:get("unexpected")
  end
  io.write(string.format("requests: %d in %.1f s = %.0f req/s\n", summary.requests, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("answers: %d allowed (2xx), %d rejected (401), %d unexpected\n", o, r, u))
  io.write(string.format("socket errors: connect %d, read %d, write %d, timeout %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
