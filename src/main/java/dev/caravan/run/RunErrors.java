package dev.caravan.run;

import dev.caravan.kjob.LogSafe;
import dev.caravan.kjob.StepException;

/**
 * What a run keeps of the exception that ended it outside its steps: the message of a processor
 * that threw (a {@code throwException}, a bean), escaped and cut to {@link #MAX_CHARS}. A step's
 * own failure is kept in its record and log instead.
 */
final class RunErrors {

  /** Most characters of the message kept. */
  static final int MAX_CHARS = 1000;

  private RunErrors() {}

  /** The message to keep, {@code null} for no exception or a step's. */
  static String messageOf(Throwable error) {
    if (error == null || causedByAStep(error)) {
      return null;
    }
    String message = error.getMessage();
    String text =
        message == null || message.isBlank()
            ? error.getClass().getName()
            : error.getClass().getSimpleName() + ": " + message;
    return LogSafe.escape(text, MAX_CHARS);
  }

  private static boolean causedByAStep(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof StepException) {
        return true;
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return false;
  }
}
