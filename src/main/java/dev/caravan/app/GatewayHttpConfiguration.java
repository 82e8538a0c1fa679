package dev.caravan.app;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import jakarta.servlet.DispatcherType;
import java.time.Duration;
import org.apache.camel.component.platform.http.springboot.CamelRequestHandlerMapping;
import org.apache.catalina.Valve;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.error.ErrorAttributes;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * The HTTP guards in front of the gateways (bodies read without holding threads, within size, time
 * and memory limits) and the JSON error answers of Spring and Tomcat.
 */
@Configuration(proxyBeanMethods = false)
class GatewayHttpConfiguration {

  @Bean
  BodyLimits bodyLimits(
      @Value("${caravan.gateways.max-body-bytes:26214400}") long maxBodyBytes,
      @Value("${caravan.gateways.body-timeout:10s}") Duration timeout,
      @Value("${caravan.gateways.max-buffered-bytes:67108864}") long maxBufferedBytes) {
    return new BodyLimits(maxBodyBytes, timeout, new BodyBudget(maxBufferedBytes));
  }

  /** {@code caravan.gateways.buffered.bytes}: request body bytes held in memory now. */
  @Bean
  MeterBinder bufferedBodyBytes(BodyLimits limits) {
    return registry ->
        Gauge.builder("caravan.gateways.buffered.bytes", limits.budget(), BodyBudget::used)
            .description(
                "Bytes of gateway request bodies held in memory (limit"
                    + " caravan.gateways.max-buffered-bytes)")
            .baseUnit("bytes")
            .register(registry);
  }

  /**
   * Before everything that could read a body, after Spring Boot's character encoding filter (the
   * highest precedence) and long before Spring Security's chain (-100). REQUEST to read the body,
   * ASYNC to hand it on in the dispatches that follow.
   */
  @Bean
  FilterRegistrationBean<RequestBodyFilter> requestBodyFilter(
      BodyLimits limits, CamelRequestHandlerMapping platformHttp) {
    FilterRegistrationBean<RequestBodyFilter> registration =
        new FilterRegistrationBean<>(
            new RequestBodyFilter(limits, new PlatformHttpRequests(platformHttp)));
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
    registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC);
    registration.setAsyncSupported(true);
    return registration;
  }

  @Bean
  ErrorAttributes errorAttributes() {
    return new JsonErrorAttributes();
  }

  /**
   * Tomcat's own error answers (before any servlet runs) as JSON: the Host's error report valve is
   * {@link JsonErrorReportValve}. Runs last, so that it also drops the HTML {@code
   * ErrorReportValve} Spring Boot adds to the Host.
   */
  @Bean
  @Order(Ordered.LOWEST_PRECEDENCE)
  WebServerFactoryCustomizer<TomcatServletWebServerFactory> jsonTomcatErrors() {
    return factory ->
        factory.addContextCustomizers(
            context -> {
              if (context.getParent() instanceof StandardHost host) {
                for (Valve valve : host.getPipeline().getValves()) {
                  if (valve instanceof ErrorReportValve
                      && !(valve instanceof JsonErrorReportValve)) {
                    host.getPipeline().removeValve(valve);
                  }
                }
                host.setErrorReportValveClass(JsonErrorReportValve.class.getName());
              }
            });
  }
}
