package dev.caravan.store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether the store takes writes, as the writes themselves tell (the heartbeat every few seconds,
 * events, runs, steps, logs): a failed write marks the store failing, a successful one clears it.
 * No probe query of its own: a database that answers {@code SELECT 1} but cannot store anything
 * (full, closed after an error) is failing all the same. Health checks read it (readiness: DOWN at
 * once; liveness: DOWN after a grace period, so that a restart can repair what a retry cannot).
 */
public final class StoreHealth {

  /** Since when writes fail, and the latest failure. */
  public record Failing(Instant since, String error) {

    public Duration lasted(Instant now) {
      return Duration.between(since, now);
    }
  }

  private final Clock clock;
  private final AtomicReference<Failing> failing = new AtomicReference<>();

  public StoreHealth() {
    this(Clock.systemUTC());
  }

  public StoreHealth(Clock clock) {
    this.clock = clock;
  }

  /** A write was committed. */
  public void written() {
    if (failing.get() != null) {
      failing.set(null);
    }
  }

  /** A write failed. */
  public void failed(Throwable error) {
    String message = error.getMessage() == null ? error.getClass().getName() : error.getMessage();
    Instant now = clock.instant();
    failing.updateAndGet(current -> new Failing(current == null ? now : current.since(), message));
  }

  /** Present while the latest write failed. */
  public Optional<Failing> failing() {
    return Optional.ofNullable(failing.get());
  }

  public Instant now() {
    return clock.instant();
  }
}
