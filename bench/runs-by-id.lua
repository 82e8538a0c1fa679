-- wrk script of the api-under-load scenario: GET /api/runs/{id} of a random run among the ids in
-- the file BENCH_RUN_IDS (one a line), written by BenchMain after it filled the store.
local ids = {}
for line in io.lines(os.getenv("BENCH_RUN_IDS")) do
  ids[#ids + 1] = line
end
math.randomseed(os.time())

function request()
  return wrk.format("GET", "/api/runs/" .. ids[math.random(#ids)])
end
