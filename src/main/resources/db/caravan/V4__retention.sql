-- Indexes for the retention policy (caravan.retention.*, dev.caravan.run.JdbcRetention), which
-- deletes in small batches and must find each batch without scanning the tables:
-- ended runs by when they ended (caravan.retention.max-age),
CREATE INDEX caravan_run_ended ON caravan_run (ended_at);
-- a pipeline's runs newest first (caravan.retention.max-runs-per-pipeline),
CREATE INDEX caravan_run_pipeline_seq ON caravan_run (pipeline, seq);
-- and the waiting replays that reuse a run's steps (such a run is kept).
CREATE INDEX caravan_run_reuse ON caravan_run (reuse_from);
-- Events by age and count use caravan_event_received, an event's runs caravan_run_event, a run's
-- steps the primary key of caravan_step.
