package dev.caravan.gateway;

import static dev.caravan.gateway.GatewayTestSupport.camel;
import static dev.caravan.gateway.GatewayTestSupport.load;
import static dev.caravan.gateway.GatewayTestSupport.subscribe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.event.EventConstants;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CronGatewayTest {

  @TempDir Path dir;

  private CamelContext context;

  @AfterEach
  void stop() {
    if (context != null) {
      context.stop();
    }
  }

  @Test
  void aScheduleFromTheTemplateFiresCronEventsNamedAfterIt() throws Exception {
    context = camel(dir, "cron", new Properties());
    load(context, "classpath:routes/gateways/cron.yaml");
    List<Exchange> received = subscribe(context, "event:cron?types=cron:*");
    TemplatedRouteBuilder.builder(context, "cron-gateway")
        .routeId("cron-every-second")
        .parameter("name", "every-second")
        .parameter("schedule", "0/1 * * * * ?")
        .add();

    context.start();

    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() >= 2);
    Exchange first = received.get(0);
    Map<String, Object> headers = first.getMessage().getHeaders();
    assertThat(headers)
        .containsEntry(EventConstants.EVENT_SOURCE, "cron")
        .containsEntry(EventConstants.EVENT_TYPE, "cron:every-second")
        .containsEntry(EventConstants.EVENT_SUBJECT, "every-second")
        .containsEntry(EventConstants.EVENT_LABELS, Map.of("schedule", "0/1 * * * * ?"));
    String time = first.getMessage().getHeader(EventConstants.EVENT_TIME, String.class);
    assertThat(Instant.parse(time).getNano()).as("a tick is a whole second").isZero();
    assertThat(headers).containsEntry(EventConstants.EVENT_ID, "cron:every-second:" + time);
    assertThat(first.getMessage().getBody(Map.class))
        .containsEntry("name", "every-second")
        .containsEntry("schedule", "0/1 * * * * ?")
        .containsEntry("scheduledFireTime", time);
    assertThat(received.get(1).getMessage().getHeader(EventConstants.EVENT_ID))
        .isNotEqualTo(headers.get(EventConstants.EVENT_ID));
  }
}
