package dev.caravan.app;

import dev.caravan.event.EventComponent;
import dev.caravan.kjob.KjobComponent;
import dev.caravan.kjob.StepExecutors;
import dev.caravan.routes.RoutesDirectory;
import dev.caravan.store.Database;
import dev.caravan.store.StoreHealth;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.springboot.CamelRequestHandlerMapping;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Registers Caravan's components so that {@code camel.component.kjob.*} and {@code
 * camel.component.event.*} apply under Spring Boot too (camel-spring-boot only binds them for
 * components that ship a starter).
 */
@Configuration(proxyBeanMethods = false)
class CaravanConfiguration {

  @Bean("kjob")
  @ConfigurationProperties(prefix = "camel.component.kjob")
  KjobComponent kjob() {
    return new KjobComponent();
  }

  @Bean("event")
  @ConfigurationProperties(prefix = "camel.component.event")
  EventComponent event() {
    return new EventComponent();
  }

  /**
   * Caravan's database on Spring's DataSource ({@code spring.datasource.*}), migrated here; the
   * event component and the run layer find it in the registry.
   */
  @Bean
  Database database(DataSource dataSource, StoreHealth storeHealth) {
    return Database.on(dataSource, storeHealth);
  }

  @Bean
  HealthIndicator kubernetesInformer(CamelContext camel) {
    return () -> {
      var executor = StepExecutors.of(camel).startedKubernetesExecutor();
      if (executor == null) {
        return Health.up().withDetail("executor", "not in use").build();
      }
      return executor.isWatching()
          ? Health.up().withDetail("informer", "watching").build()
          : Health.down().withDetail("informer", "not watching").build();
    };
  }

  /**
   * {@code extraRoutes}: the files of {@code caravan.routes-dir} and their routes; DOWN while a
   * file does not load, with its error. Not part of the liveness and readiness groups, so a broken
   * file neither restarts the pod nor takes it out of its Service.
   */
  @Bean
  HealthIndicator extraRoutes(CamelContext camel) {
    return () -> {
      RoutesDirectory routes = camel.hasService(RoutesDirectory.class);
      if (routes == null || routes.getDirectory() == null) {
        return Health.up().withDetail("directory", "not configured").build();
      }
      Map<String, Object> files = new LinkedHashMap<>();
      for (RoutesDirectory.FileStatus file : routes.files()) {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("status", file.loaded() ? "loaded" : "failed");
        detail.put("routes", file.routeIds());
        if (!file.loaded()) {
          detail.put("error", file.error());
        }
        files.put(file.file(), detail);
      }
      return (routes.isHealthy() ? Health.up() : Health.down())
          .withDetail("directory", routes.getDirectory().toString())
          .withDetail("files", files)
          .build();
    };
  }

  @Bean
  CamelContextConfiguration platformHttpMappings(CamelRequestHandlerMapping mapping) {
    return new CamelContextConfiguration() {
      @Override
      public void beforeApplicationStart(CamelContext camelContext) {
        // called once per refreshed Spring context (the actuator's too): add the notifier once
        if (camelContext.getManagementStrategy().getEventNotifiers().stream()
            .noneMatch(PlatformHttpMappings.class::isInstance)) {
          camelContext.getManagementStrategy().addEventNotifier(new PlatformHttpMappings(mapping));
        }
      }

      @Override
      public void afterApplicationStart(CamelContext camelContext) {}
    };
  }
}
