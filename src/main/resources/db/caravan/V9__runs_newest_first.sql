-- The runs API and the dashboard page through runs newest first (ORDER BY seq DESC LIMIT n):
-- walked along this index, a page reads its rows only, not the whole table sorted.
CREATE INDEX caravan_run_seq ON caravan_run (seq);
