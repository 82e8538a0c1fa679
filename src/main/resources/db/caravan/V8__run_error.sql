-- the message of the exception that ended a run outside its steps (a processor that threw)
ALTER TABLE caravan_run ADD COLUMN error TEXT;
