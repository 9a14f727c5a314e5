-- Replays pre-signed deliveries (DELIVERIES=file of "<signature> <body>" lines), each
-- connection walking its own stride so no two requests carry the same git_sha.
local lines = {}
local path = os.getenv("DELIVERIES")
for l in io.lines(path) do
	local sig, body = l:match("^(%S+) (.*)$")
	lines[#lines + 1] = { sig, body }
end

local counter = 0
local threads = {}

function setup(thread)
	thread:set("id", counter)
	counter = counter + 1
	table.insert(threads, thread)
end

function init(args)
	nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
	i = id
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/json"
end

function request()
	local d = lines[(i % #lines) + 1]
	i = i + nthreads
	wrk.headers["X-Powernode-Signature"] = d[1]
	return wrk.format(nil, nil, nil, d[2])
end


function done(summary, latency, requests)
	io.write(string.format("BENCH rps=%.0f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n",
		summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
		latency:percentile(99) / 1000, summary.requests,
		summary.errors.status + summary.errors.connect + summary.errors.read +
		summary.errors.write + summary.errors.timeout))
end
