package dev.caravan.app;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of request bodies held in memory at once, across all requests: a request that would
 * pass the limit is refused (503) instead of exhausting the heap.
 */
final class BodyBudget {

  private final long maxBytes;
  private final AtomicLong used = new AtomicLong();

  BodyBudget(long maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException(
          "caravan.gateways.max-buffered-bytes must be positive, not " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  /** Takes {@code bytes} from the budget, or nothing and false when they do not fit. */
  boolean reserve(long bytes) {
    long before;
    do {
      before = used.get();
      if (before + bytes > maxBytes) {
        return false;
      }
    } while (!used.compareAndSet(before, before + bytes));
    return true;
  }

  /** Gives back bytes taken with {@link #reserve}. */
  void release(long bytes) {
    used.addAndGet(-bytes);
  }

  /** Bytes held now. */
  long used() {
    return used.get();
  }

  long maxBytes() {
    return maxBytes;
  }
}
