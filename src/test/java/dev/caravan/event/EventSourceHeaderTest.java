package dev.caravan.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EventSourceHeaderTest {

  private CamelContext context;

  @BeforeEach
  void startCamel() {
    context = new DefaultCamelContext();
    context.addComponent("event", H2EventComponents.inMemory("event-source-header-test"));
    context.start();
  }

  @AfterEach
  void stopCamel() {
    context.stop();
  }

  private Exchange publish(String uri, String id, String sourceHeader) {
    return context
        .createProducerTemplate()
        .request(
            uri,
            e -> {
              e.getMessage()
                  .setHeaders(
                      new HashMap<>(
                          Map.of(EventConstants.EVENT_ID, id, EventConstants.EVENT_TYPE, "t")));
              e.getMessage().setHeader(EventConstants.EVENT_SOURCE, sourceHeader);
              e.getMessage().setBody("{}");
            });
  }

  private Event stored(String id) {
    return context.getComponent("event", EventComponent.class).getStore().find(id).orElseThrow();
  }

  @ParameterizedTest
  @CsvSource({
    "event:webhook, webhook/ci, webhook/ci",
    "event:webhook, webhook/deploy-prod/v2, webhook/deploy-prod/v2",
    "event:webhook, webhook, webhook",
    "event:webhook, github, webhook",
    "event:webhook, webhookx/ci, webhook",
    "event:github, github, github",
    "event:webhook/ci, webhook, webhook/ci",
  })
  void aSourceHeaderUnderTheEndpointsSourceChoosesTheSource(
      String uri, String header, String source) {
    String id = UUID.randomUUID().toString();

    Exchange exchange = publish(uri, id, header);

    assertThat(exchange.getException()).isNull();
    assertThat(stored(id).source()).isEqualTo(source);
  }

  @ParameterizedTest
  @CsvSource({"webhook/", "webhook/a b", "webhook/a&b=c"})
  void anInvalidSourceUnderTheEndpointsSourceIsRefused(String header) {
    String id = UUID.randomUUID().toString();

    Exchange exchange = publish("event:webhook", id, header);

    assertThat(exchange.getException()).isInstanceOf(InvalidEventException.class);
    assertThat(context.getComponent("event", EventComponent.class).getStore().find(id)).isEmpty();
  }
}
