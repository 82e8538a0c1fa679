package dev.caravan.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.caravan.bench.BenchMain.Row;
import dev.caravan.event.EventComponent;
import dev.caravan.event.EventConstants;
import dev.caravan.kjob.KjobComponent;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * (11) What the store costs a replica on PostgreSQL: the statements (each a round trip; a JDBC
 * batch counts once) and transactions (commits, reads' included) Caravan sends for an event no
 * pipeline subscribes to, for a run of a one-step local pipeline beyond its event, and for each
 * further step. A Caravan on an embedded PostgreSQL behind a counting DataSource; the poll is set
 * far beyond the measurement, so that what is counted is what the events cause, not the passing
 * time (a heartbeat may fall in).
 */
final class StoreStatements {

  private static final Set<String> STATEMENTS =
      Set.of("execute", "executeQuery", "executeUpdate", "executeBatch", "executeLargeUpdate");

  private StoreStatements() {}

  /** Statements and commits sent so far. */
  private static final class Counts {
    final AtomicLong statements = new AtomicLong();
    final AtomicLong commits = new AtomicLong();

    long[] now() {
      return new long[] {statements.get(), commits.get()};
    }
  }

  static List<Row> measure(int events) throws Exception {
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start()) {
      Counts counts = new Counts();
      HikariConfig pool = new HikariConfig();
      pool.setDataSource(counting(postgres.getPostgresDatabase(), counts));
      pool.setPoolName("bench-counted");
      try (HikariDataSource counting = new HikariDataSource(pool)) {
        return measure(postgres, counting, counts, events);
      }
    }
  }

  private static List<Row> measure(
      EmbeddedPostgres postgres, DataSource counting, Counts counts, int events) throws Exception {
    Path work = Files.createTempDirectory("caravan-bench-statements");
    CamelContext camel = new DefaultCamelContext();
    EventComponent bus = new EventComponent();
    bus.setDataSource(counting);
    bus.setPollInterval(TimeUnit.MINUTES.toMillis(10));
    camel.addComponent("event", bus);
    KjobComponent kjob = new KjobComponent();
    kjob.setExecutor("local");
    kjob.setLocalWorkDir(work.toString());
    camel.addComponent("kjob", kjob);
    camel.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("event:bench?types=one").routeId("bench-one-step").to("kjob:a?script=true");
            from("event:bench?types=two")
                .routeId("bench-two-steps")
                .to("kjob:a?script=true")
                .to("kjob:b?script=true");
          }
        });
    camel.start();
    try {
      ProducerTemplate producer = camel.createProducerTemplate();
      publish(producer, "warm", "one", 20); // warm-up: first statements, pools, compilations
      awaitRuns(postgres, 20);
      double[] alone = perEvent(producer, counts, postgres, "none", events, 0);
      double[] oneStep = perEvent(producer, counts, postgres, "one", events, 20);
      double[] twoSteps = perEvent(producer, counts, postgres, "two", events, 20 + events);
      String load = events + " events each, PostgreSQL";
      return List.of(
          row("statements per event no pipeline subscribes to (" + load + ")", alone[0], alone[1]),
          row(
              "statements per run of a one-step local pipeline, beyond its event's",
              oneStep[0] - alone[0],
              oneStep[1] - alone[1]),
          row(
              "statements per further step of a run",
              twoSteps[0] - oneStep[0],
              twoSteps[1] - oneStep[1]));
    } finally {
      camel.stop();
      BenchMain.deleteTree(work);
    }
  }

  private static Row row(String metric, double statements, double transactions) {
    return new Row(
        "store statements",
        metric + String.format(Locale.ROOT, " (transactions: %.1f)", transactions),
        "statements",
        statements,
        null,
        null,
        "- (reported)",
        null);
  }

  /** Statements and commits per event of the type, once its runs (if any) have ended. */
  private static double[] perEvent(
      ProducerTemplate producer,
      Counts counts,
      EmbeddedPostgres postgres,
      String type,
      int events,
      int runsBefore)
      throws Exception {
    long[] before = counts.now();
    publish(producer, type, type, events);
    if (!"none".equals(type)) {
      awaitRuns(postgres, runsBefore + events);
    }
    long[] after = counts.now();
    return new double[] {
      (after[0] - before[0]) / (double) events, (after[1] - before[1]) / (double) events
    };
  }

  private static void publish(ProducerTemplate producer, String prefix, String type, int events) {
    for (int i = 0; i < events; i++) {
      producer.sendBodyAndHeaders(
          "event:bench",
          "{}",
          Map.of(EventConstants.EVENT_ID, prefix + "-" + i, EventConstants.EVENT_TYPE, type));
    }
  }

  /** Waits until that many runs have ended, asking the database directly (not counted). */
  private static void awaitRuns(EmbeddedPostgres postgres, int ended) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      try (Connection connection = postgres.getPostgresDatabase().getConnection();
          Statement query = connection.createStatement();
          ResultSet rows =
              query.executeQuery("SELECT COUNT(*) FROM caravan_run WHERE ended_at IS NOT NULL")) {
        rows.next();
        if (rows.getLong(1) >= ended) {
          // the run's end is committed; what follows it on the run's thread is not counted
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
          return;
        }
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    throw new IllegalStateException("fewer than " + ended + " runs ended within 120 s");
  }

  /** The DataSource, counting the statements and commits of every connection it gives. */
  private static DataSource counting(DataSource target, Counts counts) {
    return proxy(DataSource.class, target, counts);
  }

  @SuppressWarnings("unchecked")
  private static <T> T proxy(Class<T> type, Object target, Counts counts) {
    InvocationHandler handler =
        (self, method, args) -> {
          String name = method.getName();
          if (STATEMENTS.contains(name)) {
            counts.statements.incrementAndGet();
          } else if ("commit".equals(name)) {
            counts.commits.incrementAndGet();
          }
          Object result;
          try {
            result = method.invoke(target, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          Class<?> returned = method.getReturnType();
          if (result != null
              && returned.isInterface()
              && (returned == Connection.class || Statement.class.isAssignableFrom(returned))) {
            return proxy(returned, result, counts);
          }
          return result;
        };
    return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler);
  }
}
