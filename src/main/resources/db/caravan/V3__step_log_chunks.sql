-- Step logs as chunks appended while a step runs and when it ends, never rewritten whole (a log
-- rewritten every second as one value made the database hold and copy it again and again), and the
-- number of times each run was started or taken over. Portable between H2 2.x and PostgreSQL.
CREATE TABLE caravan_step_log (
  run_id VARCHAR(64) NOT NULL,
  step_name VARCHAR(255) NOT NULL,
  fan_out_index VARCHAR(64) NOT NULL,
  attempt INT NOT NULL,
  seq INT NOT NULL,
  content VARCHAR(16384) NOT NULL,
  PRIMARY KEY (run_id, step_name, fan_out_index, attempt, seq),
  CONSTRAINT caravan_step_log_step FOREIGN KEY (run_id, step_name, fan_out_index, attempt)
    REFERENCES caravan_step (run_id, step_name, fan_out_index, attempt) ON DELETE CASCADE
);

-- The logs stored so far, cut into chunks of 16384 characters.
INSERT INTO caravan_step_log (run_id, step_name, fan_out_index, attempt, seq, content)
WITH RECURSIVE piece (run_id, step_name, fan_out_index, attempt, seq, content, rest) AS (
  SELECT run_id, step_name, fan_out_index, attempt, 0,
         CAST(SUBSTRING(log FROM 1 FOR 16384) AS VARCHAR(16384)),
         SUBSTRING(log FROM 16385)
  FROM caravan_step
  WHERE log IS NOT NULL AND LENGTH(log) > 0
  UNION ALL
  SELECT run_id, step_name, fan_out_index, attempt, seq + 1,
         CAST(SUBSTRING(rest FROM 1 FOR 16384) AS VARCHAR(16384)),
         SUBSTRING(rest FROM 16385)
  FROM piece
  WHERE LENGTH(rest) > 0
)
SELECT run_id, step_name, fan_out_index, attempt, seq, content FROM piece;

ALTER TABLE caravan_step DROP COLUMN log;

-- Starts and take-overs (resumes after a crash or restart) of each run; bounded by the event
-- component's maxRunAttempts.
ALTER TABLE caravan_run ADD COLUMN attempts INT DEFAULT 0 NOT NULL;
UPDATE caravan_run SET attempts = 1 WHERE status <> 'PENDING';
