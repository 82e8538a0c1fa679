package dev.caravan.kjob;

import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.atomic.AtomicInteger;

/** Step duration and steps in flight, on Micrometer's global registry (Spring Boot exports it). */
final class StepMetrics {

  private static final AtomicInteger IN_FLIGHT =
      Metrics.gauge("caravan.steps.in.flight", new AtomicInteger());

  private StepMetrics() {}

  static void started() {
    IN_FLIGHT.incrementAndGet();
  }

  static void ended(StepRequest request, StepResult result) {
    IN_FLIGHT.decrementAndGet();
    if (result != null) {
      Timer.builder("caravan.steps.duration")
          .description("How long steps ran")
          .tag("step", request.stepName())
          .tag("executor", request.spec().executor().optionValue())
          .tag("status", result.status().name())
          .register(Metrics.globalRegistry)
          .record(result.duration());
    }
  }
}
