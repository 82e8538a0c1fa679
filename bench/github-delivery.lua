-- wrk script of the webhook scenario: POSTs a fixed GitHub "star" delivery signed once
-- (X-Hub-Signature-256 covers the body only) with a new X-GitHub-Delivery per request, so every
-- request is a new event for the gateway. Environment: BENCH_BODY_FILE, BENCH_SIGNATURE, BENCH_RUN.
local file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
local body = file:read("*a")
file:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-GitHub-Event"] = "star"
wrk.headers["X-Hub-Signature-256"] = os.getenv("BENCH_SIGNATURE")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local prefix = os.getenv("BENCH_RUN") or tostring(os.time())
local counter = 0
function request()
  counter = counter + 1
  wrk.headers["X-GitHub-Delivery"] = prefix .. "-" .. thread_id .. "-" .. counter
  return wrk.format()
end
