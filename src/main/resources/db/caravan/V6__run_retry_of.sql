-- The run a run retries or runs again (POST /api/runs/{id}/retry or /rerun); NULL for the runs of
-- deliveries and replays. No foreign key: retention may delete the earlier run first.
ALTER TABLE caravan_run ADD COLUMN retry_of VARCHAR(64);
