package dev.caravan.app;

import dev.caravan.event.EventComponent;
import dev.caravan.kjob.KjobComponent;
import dev.caravan.run.JdbcRunStore;
import dev.caravan.run.RunCanceller;
import dev.caravan.run.api.ApiTokenFilter;
import javax.sql.DataSource;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.error.ErrorAttributes;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * Registers Caravan's components so that {@code camel.component.kjob.*} and {@code
 * camel.component.event.*} apply under Spring Boot too (camel-spring-boot only binds them for
 * components that ship a starter), and the HTTP guards of the gateways.
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

  @Bean
  FilterRegistrationBean<RequestBodyFilter> requestBodyFilter(
      @Value("${caravan.gateways.max-body-bytes:26214400}") long maxBytes) {
    FilterRegistrationBean<RequestBodyFilter> registration =
        new FilterRegistrationBean<>(new RequestBodyFilter(maxBytes));
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
    return registration;
  }

  /** Steps and runs, in the event store's database; kjob records steps in it. */
  @Bean
  JdbcRunStore runStore(DataSource dataSource) {
    return new JdbcRunStore(dataSource);
  }

  @Bean
  RunCanceller runCanceller(JdbcRunStore runStore, KjobComponent kjob) {
    return new RunCanceller(runStore, kjob);
  }

  @Bean
  FilterRegistrationBean<ApiTokenFilter> apiTokenFilter(
      @Value("${caravan.api.token:}") String token) {
    FilterRegistrationBean<ApiTokenFilter> registration =
        new FilterRegistrationBean<>(new ApiTokenFilter(token));
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 1);
    return registration;
  }

  @Bean
  HealthIndicator kubernetesInformer(KjobComponent kjob) {
    return () -> {
      var executor = kjob.startedKubernetesExecutor();
      if (executor == null) {
        return Health.up().withDetail("executor", "not in use").build();
      }
      return executor.isWatching()
          ? Health.up().withDetail("informer", "watching").build()
          : Health.down().withDetail("informer", "not watching").build();
    };
  }

  @Bean
  ErrorAttributes errorAttributes() {
    return new JsonErrorAttributes();
  }
}
