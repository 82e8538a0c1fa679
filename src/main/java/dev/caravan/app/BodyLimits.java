package dev.caravan.app;

import java.time.Duration;

/**
 * The limits on gateway request bodies: size of one body, total time for it to arrive, and the
 * budget of bytes held in memory for all of them.
 */
record BodyLimits(long maxBodyBytes, Duration timeout, BodyBudget budget) {

  BodyLimits {
    if (maxBodyBytes <= 0) {
      throw new IllegalArgumentException(
          "caravan.gateways.max-body-bytes must be positive, not " + maxBodyBytes);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException(
          "caravan.gateways.body-timeout must be positive, not " + timeout);
    }
  }

  /** When to try again after a 503 for a full budget: by then stalled bodies have timed out. */
  long retryAfterSeconds() {
    return Math.max(1, (timeout.toMillis() + 999) / 1000);
  }
}
