package dev.caravan.event;

/** The store could not do its work (database down, ...): a 503 to a gateway's caller. */
public class EventStoreException extends RuntimeException {

  public EventStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
