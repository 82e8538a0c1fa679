package dev.caravan.app;

import dev.caravan.gateway.CronTick;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * The cron gateway under Spring Boot: one route from the {@code cron-gateway} template ({@code
 * routes/gateways/cron.yaml}) per {@code caravan.cron.schedules.<name>=<Quartz cron>}, and, when
 * leader election is on, camel-kubernetes' Lease-based cluster service with every schedule behind
 * {@code master:cron:} so that only the leader replica fires.
 */
@Configuration(proxyBeanMethods = false)
class CronSchedules {

  private static final Logger LOG = LoggerFactory.getLogger(CronSchedules.class);

  /** The Camel cluster namespace of the schedules; with the resource name it names the Lease. */
  static final String MASTER_PREFIX = "master:cron:";

  static final String LEASE_RESOURCE_NAME = "caravan";

  @Bean
  RouteBuilder cronScheduleRoutes(Environment environment) {
    Map<String, String> schedules = schedules(environment);
    boolean leaderOnly = LeaderElection.enabled(environment);
    LOG.info(
        "cron gateway: {} schedule(s){}",
        schedules.size(),
        schedules.isEmpty()
            ? ""
            : leaderOnly ? ", leader only (Kubernetes Lease)" : ", every replica");
    return new RouteBuilder() {
      @Override
      public void configure() {
        schedules.forEach(
            (name, schedule) -> {
              var route =
                  templatedRoute("cron-gateway")
                      .routeId("cron-" + name)
                      .parameter("name", name)
                      .parameter("schedule", schedule);
              if (leaderOnly) {
                // a template parameter is a local property: it shadows the global one
                route.parameter("caravan.cron.uri-prefix", MASTER_PREFIX);
              }
            });
      }
    };
  }

  /** The cluster service that elects the leader through a Lease in the pod's namespace. */
  @Bean
  @Conditional(LeaderElection.class)
  KubernetesClusterService cronLeaderElection(Environment environment) {
    KubernetesClusterService service = new KubernetesClusterService();
    service.setKubernetesResourceName(LEASE_RESOURCE_NAME);
    String namespace = environment.getProperty("caravan.cron.lease-namespace", "");
    if (!namespace.isBlank()) {
      service.setKubernetesResourcesNamespace(namespace);
    }
    String podName = environment.getProperty("caravan.cron.pod-name", "");
    if (!podName.isBlank()) {
      service.setPodName(podName);
    }
    service.setClusterLabels(labels(environment.getProperty("caravan.cron.pod-selector", "")));
    return service;
  }

  /** The configured schedules by name; a blank expression switches a schedule off. */
  static Map<String, String> schedules(Environment environment) {
    Map<String, String> configured =
        Binder.get(environment)
            .bind("caravan.cron.schedules", Bindable.mapOf(String.class, String.class))
            .orElse(Map.of());
    Map<String, String> schedules = new TreeMap<>();
    configured.forEach(
        (name, schedule) -> {
          if (!CronTick.VALID_NAME.matcher(name).matches()) {
            throw new IllegalStateException(
                "caravan.cron.schedules."
                    + name
                    + ": a schedule name must match "
                    + CronTick.VALID_NAME.pattern());
          }
          if (schedule != null && !schedule.isBlank()) {
            schedules.put(name, schedule.trim());
          }
        });
    return schedules;
  }

  /** {@code app=caravan,tier=x} as a map; empty for all pods of the namespace. */
  static Map<String, String> labels(String selector) {
    Map<String, String> labels = new TreeMap<>();
    for (String pair : selector.split(",")) {
      if (pair.isBlank()) {
        continue;
      }
      int equals = pair.indexOf('=');
      if (equals <= 0) {
        throw new IllegalStateException(
            "caravan.cron.pod-selector: expected key=value pairs separated by commas, got '"
                + selector
                + "'");
      }
      labels.put(pair.substring(0, equals).trim(), pair.substring(equals + 1).trim());
    }
    return labels;
  }

  /**
   * {@code caravan.cron.leader-election}: {@code true}, {@code false}, or {@code auto} (the
   * default), which is on when Caravan runs in a Kubernetes pod (service account token present).
   */
  static final class LeaderElection implements Condition {

    static final Path TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
      return enabled(context.getEnvironment());
    }

    static boolean enabled(Environment environment) {
      String setting =
          environment
              .getProperty("caravan.cron.leader-election", "auto")
              .trim()
              .toLowerCase(Locale.ROOT);
      return switch (setting) {
        case "true" -> true;
        case "false" -> false;
        case "auto", "" ->
            environment.getProperty("KUBERNETES_SERVICE_HOST") != null
                && Files.isRegularFile(TOKEN);
        default ->
            throw new IllegalStateException(
                "caravan.cron.leader-election must be auto, true or false, not '" + setting + "'");
      };
    }
  }
}
