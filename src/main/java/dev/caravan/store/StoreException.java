package dev.caravan.store;

/** The store could not do its work (database down, ...): a 503 to a gateway's caller. */
public class StoreException extends RuntimeException {

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
