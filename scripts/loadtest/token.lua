-- wrk script: a client_credentials token request with client_secret_basic.
-- Reads CLIENT_ID, CLIENT_SECRET and TOKEN_BODY from the environment.
local id = os.getenv("CLIENT_ID")
local secret = os.getenv("CLIENT_SECRET")
local body = os.getenv("TOKEN_BODY")

local chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
local function base64(data)
  local out = {}
  for i = 1, #data, 3 do
    local a, b, c = data:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local quad = {}
    for j = 3, 0, -1 do
      local k = math.floor(n / 64 ^ j) % 64
      quad[#quad + 1] = chars:sub(k + 1, k + 1)
    end
    if not b then quad[3], quad[4] = '=', '=' elseif not c then quad[4] = '=' end
    out[#out + 1] = table.concat(quad)
  end
  return table.concat(out)
end

-- With CODES_FILE (authorization codes, one a line), each request sends
-- TOKEN_BODY followed by the next code: each of the THREADS threads takes
-- every THREADS-th line, and a thread stops while it still has a code for
-- each of its CONNS connections, so that no code is sent twice.
local codes_file = os.getenv("CODES_FILE")
local threads = tonumber(os.getenv("THREADS") or "1")
local conns = tonumber(os.getenv("CONNS") or "1")
local counter = 0

function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
end

if codes_file then
  function init(args)
    codes, next_code = {}, 1
    local i = 0
    for line in io.lines(codes_file) do
      if i % threads == thread_index then codes[#codes + 1] = line end
      i = i + 1
    end
  end

  function request()
    local code = codes[next_code] or "spent"
    next_code = next_code + 1
    return wrk.format(nil, nil, nil, body .. code)
  end

  function response(status, headers, resbody)
    if next_code > #codes - conns then wrk.thread:stop() end
  end
end

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. base64(id .. ":" .. secret)

function done(summary, latency, requests)
  io.write(string.format("RESULT %d %.1f %d %d %d %d %d %.0f %.0f %.0f %.0f\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
