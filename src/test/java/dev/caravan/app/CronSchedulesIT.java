package dev.caravan.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.event.EventConstants;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.cluster.CamelClusterService;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "caravan.cron.schedules.every-second=0/1 * * * * ?",
      "caravan.cron.schedules.switched-off=",
      "spring.datasource.url=jdbc:h2:mem:cron-it;DB_CLOSE_DELAY=-1",
      "camel.component.event.poll-interval=100"
    })
class CronSchedulesIT {

  static final List<Exchange> RECEIVED = new CopyOnWriteArrayList<>();

  @TestConfiguration
  static class Pipeline {
    @Bean
    RouteBuilder cronRecorder() {
      return new RouteBuilder() {
        @Override
        public void configure() {
          from("event:cron?types=cron:every-second")
              .routeId("cron-recorder")
              .process(RECEIVED::add);
        }
      };
    }
  }

  @Autowired CamelContext camel;

  @Test
  void eachConfiguredScheduleBecomesARouteThatPublishesCronEvents() {
    assertThat(camel.getRoute("cron-every-second")).isNotNull();
    assertThat(camel.getRoute("cron-every-second").getEndpoint().getEndpointUri())
        .as("no cluster here: plain scheduling")
        .startsWith("quartz:");
    assertThat(camel.getRoute("cron-switched-off")).as("a blank expression switches off").isNull();
    assertThat(camel.hasServices(CamelClusterService.class)).isEmpty();

    await().atMost(Duration.ofSeconds(10)).until(() -> !RECEIVED.isEmpty());
    assertThat(RECEIVED.get(0).getMessage().getHeaders())
        .containsEntry(EventConstants.EVENT_SOURCE, "cron")
        .containsEntry(EventConstants.EVENT_TYPE, "cron:every-second")
        .containsEntry(EventConstants.EVENT_SUBJECT, "every-second");
  }
}
