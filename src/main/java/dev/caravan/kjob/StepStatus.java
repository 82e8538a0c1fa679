package dev.caravan.kjob;

/** How a step ended. */
public enum StepStatus {
  SUCCEEDED,
  FAILED,
  TIMED_OUT,
  CANCELED
}
