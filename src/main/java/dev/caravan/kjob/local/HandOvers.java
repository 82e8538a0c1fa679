package dev.caravan.kjob.local;

import dev.caravan.kjob.StepResult;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The steps in flight, until each has handed its end on to whoever waits for it, so that a stop can
 * wait for the steps it killed to be handed on (to the continuation pool) before their pools go.
 */
final class HandOvers {

  private final Set<CompletableFuture<StepResult>> pending = new HashSet<>();

  /**
   * A future that completes like the step's; it counts as pending until what depends on it has run
   * (the completion of a future runs its dependents before it returns).
   */
  CompletableFuture<StepResult> track(CompletableFuture<StepResult> step) {
    CompletableFuture<StepResult> handedOn = new CompletableFuture<>();
    synchronized (this) {
      pending.add(handedOn);
    }
    step.whenComplete(
        (result, error) -> {
          try {
            if (error != null) {
              handedOn.completeExceptionally(error);
            } else {
              handedOn.complete(result);
            }
          } finally {
            synchronized (this) {
              pending.remove(handedOn);
              notifyAll();
            }
          }
        });
    return handedOn;
  }

  /** Waits until every step has been handed on, or the timeout passed; whether they all were. */
  synchronized boolean await(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!pending.isEmpty()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }
}
