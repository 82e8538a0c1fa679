package dev.caravan.kjob;

import java.util.concurrent.CompletableFuture;

/** Runs steps to completion without holding a caller thread while they run. */
public interface StepExecutor extends AutoCloseable {

  /** Starts (or re-attaches to) the step; the future completes when it has ended. */
  CompletableFuture<StepResult> execute(StepRequest request);

  @Override
  void close();
}
