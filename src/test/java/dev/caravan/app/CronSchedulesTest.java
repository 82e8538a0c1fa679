package dev.caravan.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.caravan.event.EventConstants;
import dev.caravan.event.H2EventComponents;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.file.cluster.FileLockClusterService;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.mock.env.MockEnvironment;

/** The Spring side of the cron gateway: settings to templated routes and leader election. */
class CronSchedulesTest {

  @TempDir Path dir;

  private CamelContext context;

  @AfterEach
  void stop() {
    if (context != null) {
      context.stop();
    }
  }

  @Test
  void leaderElectionPutsEveryScheduleBehindTheMasterComponent() throws Exception {
    MockEnvironment environment =
        new MockEnvironment()
            .withProperty("caravan.cron.schedules.tick", "0/1 * * * * ?")
            .withProperty("caravan.cron.leader-election", "true");
    context = new DefaultCamelContext();
    context.addComponent("event", H2EventComponents.onFile(dir, "db"));
    // any cluster service shows the wiring; Kubernetes' is tested in CronLeaderElectionTest
    FileLockClusterService cluster = new FileLockClusterService();
    cluster.setRoot(dir.resolve("cluster").toString());
    cluster.setAcquireLockDelay(10, TimeUnit.MILLISECONDS);
    cluster.setAcquireLockInterval(100, TimeUnit.MILLISECONDS);
    context.addService(cluster);
    PluginHelper.getRoutesLoader(context)
        .loadRoutes(
            ResourceHelper.resolveMandatoryResource(
                context, "classpath:routes/gateways/cron.yaml"));
    RouteBuilder schedules = new CronSchedules().cronScheduleRoutes(environment);
    // what camel-main and camel-spring-boot do with a RouteBuilder: routes, then templated routes
    context.addRoutes(schedules);
    context.addTemplatedRoutes(schedules);
    List<Exchange> received = new CopyOnWriteArrayList<>();
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("event:cron").routeId("recorder").process(received::add);
          }
        });

    context.start();

    assertThat(context.getRoute("cron-tick").getEndpoint().getEndpointUri())
        .startsWith("master:cron:quartz:caravan-cron/tick");
    await().atMost(Duration.ofSeconds(10)).until(() -> !received.isEmpty());
    assertThat(received.get(0).getMessage().getHeader(EventConstants.EVENT_TYPE))
        .isEqualTo("cron:tick");
  }

  @Test
  void theLeaseServiceTakesItsNamespaceAndPodSelectorFromTheSettings() {
    MockEnvironment environment =
        new MockEnvironment()
            .withProperty("caravan.cron.lease-namespace", "ci")
            .withProperty("caravan.cron.pod-selector", "app.kubernetes.io/name=caravan, tier=web");

    KubernetesClusterService service = new CronSchedules().cronLeaderElection(environment);

    assertThat(service.getKubernetesResourceName()).isEqualTo("caravan");
    assertThat(service.getKubernetesResourcesNamespace()).isEqualTo("ci");
    assertThat(service.getClusterLabels())
        .isEqualTo(Map.of("app.kubernetes.io/name", "caravan", "tier", "web"));
  }

  @Test
  void leaderElectionIsOnlyAutomaticInsideAPod() {
    assertThat(CronSchedules.LeaderElection.enabled(new MockEnvironment())).isFalse();
    assertThat(
            CronSchedules.LeaderElection.enabled(
                new MockEnvironment().withProperty("caravan.cron.leader-election", "true")))
        .isTrue();
    assertThatThrownBy(
            () ->
                CronSchedules.LeaderElection.enabled(
                    new MockEnvironment().withProperty("caravan.cron.leader-election", "yes")))
        .hasMessageContaining("auto, true or false");
  }

  @Test
  void environmentVariablesNameSchedulesInLowerCaseWithDotsForUnderscores() {
    MockEnvironment environment = new MockEnvironment();
    environment
        .getPropertySources()
        .addFirst(
            new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                Map.of(
                    "CARAVAN_CRON_SCHEDULES_NIGHTLY", "0 0 2 * * ?",
                    "CARAVAN_CRON_SCHEDULES_WEEKLY_REPORT", "0 0 6 ? * MON")));

    assertThat(CronSchedules.schedules(environment))
        .isEqualTo(Map.of("nightly", "0 0 2 * * ?", "weekly.report", "0 0 6 ? * MON"));
  }

  @Test
  void aScheduleNameThatCannotBeAnEventTypeStopsTheStart() {
    MockEnvironment environment =
        new MockEnvironment().withProperty("caravan.cron.schedules.[bad name]", "0 0 * * * ?");

    assertThatThrownBy(() -> CronSchedules.schedules(environment))
        .hasMessageContaining("caravan.cron.schedules.bad name");
  }
}
