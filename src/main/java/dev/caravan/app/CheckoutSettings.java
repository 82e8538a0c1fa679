package dev.caravan.app;

import dev.caravan.kjob.CheckoutPolicy;
import dev.caravan.kjob.KjobComponent;
import java.net.URI;
import java.util.Locale;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The app's checkout settings, {@code caravan.checkout.*}, applied to the kjob component's checkout
 * options (unless {@code camel.component.kjob.checkout*} sets them itself). The allowed hosts
 * default to the GitHub host in use: the host of {@code caravan.github.api-url} when it is set
 * (GitHub Enterprise), else github.com.
 */
@Configuration(proxyBeanMethods = false)
class CheckoutSettings {

  private static final String KJOB = "camel.component.kjob.";

  @Bean
  static BeanPostProcessor checkoutOptions(Environment environment) {
    return new BeanPostProcessor() {
      @Override
      public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof KjobComponent kjob) {
          apply(kjob, environment);
        }
        return bean;
      }
    };
  }

  static void apply(KjobComponent kjob, Environment environment) {
    Binder binder = Binder.get(environment);
    if (!binder.bind(KJOB + "checkout-allowed-hosts", String.class).isBound()) {
      String hosts = environment.getProperty("caravan.checkout.allowed-hosts", "");
      kjob.setCheckoutAllowedHosts(
          hosts.isBlank()
              ? defaultHosts(environment.getProperty("caravan.github.api-url", ""))
              : hosts);
    }
    if (!binder.bind(KJOB + "checkout-allowed-schemes", String.class).isBound()) {
      kjob.setCheckoutAllowedSchemes(
          environment.getProperty(
              "caravan.checkout.allowed-schemes", CheckoutPolicy.DEFAULT_SCHEMES));
    }
    if (!binder.bind(KJOB + "checkout-allow-private-addresses", Boolean.class).isBound()) {
      kjob.setCheckoutAllowPrivateAddresses(
          environment.getProperty(
              "caravan.checkout.allow-private-addresses", Boolean.class, false));
    }
  }

  /** The host repositories are cloned from for this GitHub API URL (api.github.com: github.com). */
  static String defaultHosts(String apiUrl) {
    if (apiUrl == null || apiUrl.isBlank()) {
      return CheckoutPolicy.DEFAULT_HOSTS;
    }
    String host;
    try {
      host = URI.create(apiUrl.trim()).getHost();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "caravan.github.api-url=" + apiUrl + " is no URL, so no checkout host follows from it");
    }
    if (host == null) {
      throw new IllegalArgumentException(
          "caravan.github.api-url="
              + apiUrl
              + " names no host; set caravan.checkout.allowed-hosts");
    }
    host = host.toLowerCase(Locale.ROOT);
    return host.equals("api.github.com") ? "github.com" : host;
  }
}
