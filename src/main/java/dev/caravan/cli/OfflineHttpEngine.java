package dev.caravan.cli;

import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.component.platform.http.spi.PlatformHttpEngine;
import org.apache.camel.support.DefaultConsumer;

/**
 * The {@code platform-http} engine of {@code caravan lint}: the gateways' HTTP routes are created
 * as the app creates them, but nothing listens (the app's engine is Spring Boot's web server).
 */
final class OfflineHttpEngine implements PlatformHttpEngine {

  static final String NAME = "platform-http-engine";

  @Override
  public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
    return new Consumer(endpoint, processor);
  }

  private static final class Consumer extends DefaultConsumer implements PlatformHttpConsumer {
    Consumer(PlatformHttpEndpoint endpoint, Processor processor) {
      super(endpoint, processor);
    }

    @Override
    public PlatformHttpEndpoint getEndpoint() {
      return (PlatformHttpEndpoint) super.getEndpoint();
    }
  }
}
