-- Steps of runs with their logs, and the Caravan instances that own running runs.
CREATE TABLE caravan_step (
  run_id VARCHAR(64) NOT NULL REFERENCES caravan_run (id),
  step_name VARCHAR(255) NOT NULL,
  fan_out_index VARCHAR(64) NOT NULL,
  attempt INT NOT NULL,
  executor VARCHAR(16) NOT NULL,
  job_name VARCHAR(64) NOT NULL,
  namespace VARCHAR(63),
  status VARCHAR(16) NOT NULL,
  exit_code INT,
  pid BIGINT,
  started_at TIMESTAMP WITH TIME ZONE NOT NULL,
  ended_at TIMESTAMP WITH TIME ZONE,
  log TEXT,
  PRIMARY KEY (run_id, step_name, fan_out_index, attempt)
);

CREATE INDEX caravan_step_status ON caravan_step (status);

CREATE TABLE caravan_instance (
  id VARCHAR(64) PRIMARY KEY,
  heartbeat TIMESTAMP WITH TIME ZONE NOT NULL
);
