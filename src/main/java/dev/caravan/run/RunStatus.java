package dev.caravan.run;

/**
 * Where a run is: waiting for its pipeline (PENDING), waiting for room in its concurrency group
 * (QUEUED), running, or ended (SKIPPED: its concurrency group was full and it was not to wait).
 */
public enum RunStatus {
  PENDING,
  QUEUED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELED,
  TIMED_OUT,
  SKIPPED;

  public boolean isFinal() {
    return this != PENDING && this != QUEUED && this != RUNNING;
  }
}
