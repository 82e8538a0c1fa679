package dev.caravan.app;

import dev.caravan.kjob.KjobComponent;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Registers the kjob component so that {@code camel.component.kjob.*} properties apply under Spring
 * Boot too: camel-spring-boot only binds them for components that ship a starter.
 */
@Configuration(proxyBeanMethods = false)
class KjobComponentConfiguration {

  @Bean("kjob")
  @ConfigurationProperties(prefix = "camel.component.kjob")
  KjobComponent kjob() {
    return new KjobComponent();
  }
}
