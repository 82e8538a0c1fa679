package dev.caravan.kjob;

/**
 * An executor could not start a step: its process or Job never ran. The message says why without
 * echoing event data (it names the option or variable instead). kjob records such a step as {@code
 * FAILED}, the reason in its log.
 */
public class StepStartException extends RuntimeException {

  public StepStartException(String message) {
    super(message);
  }

  public StepStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
