package dev.caravan.kjob;

/**
 * Caravan stopped while the step ran: its local process was killed, or its Job is left running. The
 * run is not over: it is resumed when Caravan starts again (or by another replica). The executors
 * fail a step's future with it when {@link StepExecutors} stops; kjob then records no end for the
 * step.
 */
public class StepInterruptedException extends RuntimeException {

  public StepInterruptedException(String message) {
    super(message);
  }
}
