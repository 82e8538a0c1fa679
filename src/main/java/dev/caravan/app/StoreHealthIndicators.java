package dev.caravan.app;

import dev.caravan.store.StoreHealth;
import java.time.Duration;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Health of the store as its writes tell it ({@link StoreHealth}, fed by the event and run stores):
 * {@code store} is DOWN as soon as a write failed (in the readiness group: no traffic while nothing
 * can be stored), {@code storeLiveness} once writes have failed for {@code
 * caravan.health.store-grace} (in the liveness group: Kubernetes restarts the pod). Both are UP
 * again after a write worked.
 */
@Configuration(proxyBeanMethods = false)
class StoreHealthIndicators {

  /** Longest part of an error message a health answer shows. */
  private static final int MAX_ERROR = 200;

  @Bean
  StoreHealth storeHealth() {
    return new StoreHealth();
  }

  @Bean
  HealthIndicator storeHealthIndicator(StoreHealth health) {
    return () -> {
      Optional<StoreHealth.Failing> failing = health.failing();
      if (failing.isEmpty()) {
        return Health.up().withDetail("writes", "working").build();
      }
      return down(failing.get(), health).build();
    };
  }

  @Bean
  HealthIndicator storeLivenessHealthIndicator(
      StoreHealth health, @Value("${caravan.health.store-grace:60s}") Duration grace) {
    return () -> {
      Optional<StoreHealth.Failing> failing = health.failing();
      if (failing.isEmpty()) {
        return Health.up().withDetail("writes", "working").build();
      }
      if (failing.get().lasted(health.now()).compareTo(grace) < 0) {
        return Health.up()
            .withDetail("writes", "failing, within the grace period of " + grace)
            .withDetail("failingSince", failing.get().since().toString())
            .build();
      }
      return down(failing.get(), health).withDetail("grace", grace.toString()).build();
    };
  }

  private static Health.Builder down(StoreHealth.Failing failing, StoreHealth health) {
    String error = failing.error();
    return Health.down()
        .withDetail("writes", "failing")
        .withDetail("failingSince", failing.since().toString())
        .withDetail("failingForSeconds", failing.lasted(health.now()).toSeconds())
        .withDetail("error", error.length() > MAX_ERROR ? error.substring(0, MAX_ERROR) : error);
  }
}
