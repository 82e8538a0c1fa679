package dev.caravan.bench;

import dev.caravan.bench.BenchMain.Row;
import dev.caravan.event.EventComponent;
import dev.caravan.event.EventConstants;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * (10) Dispatch across replicas: two Caravans (event components with connection pools of their own,
 * as two replicas have) on one embedded PostgreSQL; events published on A at a fixed rate are
 * delivered by B's consumer only. Measures, per event, the time from A's publish returning (the
 * event and its delivery committed) to the start of B's exchange, with NOTIFY (the default) and
 * with the poll alone ({@code notifyReplicas=false}), both with the same {@code pollInterval}.
 */
final class ReplicaDispatch {

  private static final String PIPELINE = "bench-replicas";

  private ReplicaDispatch() {}

  static List<Row> measure(int events, int rate, long pollInterval) throws Exception {
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start()) {
      double[] notified = latencies(postgres, "notified", true, events, rate, pollInterval);
      double[] polled = latencies(postgres, "polled", false, events, rate, pollInterval);
      String load =
          events + " events published on replica A at " + rate + "/s, delivered by replica B";
      String baseline = "poll alone (notifyReplicas=false), pollInterval " + pollInterval + " ms";
      double notifiedP50 = BenchMain.percentile(notified, 50);
      double notifiedP99 = BenchMain.percentile(notified, 99);
      double polledP50 = BenchMain.percentile(polled, 50);
      double polledP99 = BenchMain.percentile(polled, 99);
      String scenario = "replica dispatch";
      return List.of(
          new Row(
              scenario,
              "event committed on A -> its exchange started on B, p50, NOTIFY vs "
                  + baseline
                  + " ("
                  + load
                  + ", embedded PostgreSQL)",
              "ms",
              notifiedP50,
              polledP50,
              notifiedP50 / polledP50,
              "- (reported)",
              null),
          new Row(
              scenario,
              "the same, p99 ("
                  + String.format(Locale.ROOT, "%d of %d delivered", notified.length, events)
                  + ")",
              "ms",
              notifiedP99,
              polledP99,
              notifiedP99 / polledP99,
              "- (reported)",
              null));
    }
  }

  private static double[] latencies(
      EmbeddedPostgres postgres,
      String database,
      boolean notify,
      int events,
      int rate,
      long pollInterval)
      throws Exception {
    try (Connection connection = postgres.getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + database);
    }
    String url = postgres.getJdbcUrl("postgres", database);
    Map<String, Long> published = new ConcurrentHashMap<>();
    Map<String, Long> started = new ConcurrentHashMap<>();
    CamelContext consuming = replica(url, notify, pollInterval);
    consuming.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("event:bench?types=tick")
                .routeId(PIPELINE)
                .process(
                    e ->
                        started.put(
                            e.getMessage().getHeader(EventConstants.EVENT_ID, String.class),
                            System.nanoTime()));
          }
        });
    CamelContext publishing = replica(url, notify, pollInterval);
    consuming.start();
    publishing.start();
    try {
      ProducerTemplate producer = publishing.createProducerTemplate();
      long period = TimeUnit.SECONDS.toNanos(1) / rate;
      long start = System.nanoTime();
      for (int i = 0; i < events; i++) {
        BenchMain.waitUntil(start + i * period);
        String id = database + "-" + i;
        producer.sendBodyAndHeaders(
            "event:bench",
            "{}",
            Map.of(EventConstants.EVENT_ID, id, EventConstants.EVENT_TYPE, "tick"));
        published.put(id, System.nanoTime());
      }
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pollInterval * 3 + 10_000);
      while (started.size() < events && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
    } finally {
      publishing.stop();
      consuming.stop();
    }
    List<Double> latencies = new ArrayList<>();
    published.forEach(
        (id, at) -> {
          Long began = started.get(id);
          if (began != null) {
            // the exchange may start before the publisher's call has returned
            latencies.add(Math.max(0, began - at) / 1e6);
          }
        });
    return latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
  }

  private static CamelContext replica(String url, boolean notify, long pollInterval) {
    CamelContext context = new DefaultCamelContext();
    EventComponent events = new EventComponent();
    events.setJdbcUrl(url);
    events.setJdbcUsername("postgres");
    events.setPollInterval(pollInterval);
    events.setNotifyReplicas(notify);
    context.addComponent("event", events);
    return context;
  }
}
