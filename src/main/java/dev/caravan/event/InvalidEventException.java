package dev.caravan.event;

/** The input cannot become an event (malformed JSON, missing attribute, ...): a 400. */
public class InvalidEventException extends IllegalArgumentException {

  public InvalidEventException(String message) {
    super(message);
  }
}
