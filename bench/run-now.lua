-- wrk script of the runs-page scenario: "run now" of the stepless pipeline bench-fill, to fill the
-- store with runs before the runs page is measured.
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
