package dev.caravan.run;

/** Where a run is: waiting for its pipeline, running, or ended. */
public enum RunStatus {
  PENDING,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELED,
  TIMED_OUT;

  public boolean isFinal() {
    return this != PENDING && this != RUNNING;
  }
}
