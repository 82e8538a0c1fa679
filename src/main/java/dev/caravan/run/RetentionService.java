package dev.caravan.run;

import dev.caravan.store.Database;
import dev.caravan.store.Jdbc;
import dev.caravan.store.StoreException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the {@link RetentionPolicy} of the {@code caravan.retention.*} properties to the event
 * component's store, every {@code interval} on a thread of its own ({@code caravan-retention}, from
 * Camel's ExecutorServiceManager), and counts what it deleted in {@code caravan.retention.deleted}
 * (tag {@code kind}: events, runs, steps, logs — log chunks).
 *
 * <p>Plain Camel: {@link RetentionPlugin} adds one to every CamelContext (Spring Boot, camel-main,
 * Camel K). Each pass looks for the context's {@code event} component and does nothing while there
 * is none, or while its store is not the JDBC store.
 */
public class RetentionService extends ServiceSupport implements CamelContextAware {

  public static final String METRIC = "caravan.retention.deleted";

  private static final Logger LOG = LoggerFactory.getLogger(RetentionService.class);

  private final MeterRegistry registry;
  private final Clock clock;
  private CamelContext camelContext;
  private RetentionPolicy policy;
  private ScheduledExecutorService timer;
  private Counter events;
  private Counter runs;
  private Counter steps;
  private Counter logs;

  /** Counts on Micrometer's global registry (Spring Boot exports it), with the system clock. */
  public RetentionService() {
    this(Metrics.globalRegistry, Clock.systemUTC());
  }

  public RetentionService(MeterRegistry registry, Clock clock) {
    this.registry = registry;
    this.clock = clock;
  }

  @Override
  public CamelContext getCamelContext() {
    return camelContext;
  }

  @Override
  public void setCamelContext(CamelContext camelContext) {
    this.camelContext = camelContext;
  }

  /** The policy to apply; when not set, the {@code caravan.retention.*} properties. */
  public void setPolicy(RetentionPolicy policy) {
    this.policy = policy;
  }

  /** The policy in force (after start). */
  public RetentionPolicy getPolicy() {
    return policy;
  }

  @Override
  protected void doStart() throws Exception {
    if (policy == null) {
      policy = RetentionPolicy.from(camelContext.getPropertiesComponent()::resolveProperty);
    }
    events = counter("events");
    runs = counter("runs");
    steps = counter("steps");
    logs = counter("logs");
    if (!policy.enabled()) {
      LOG.info("Retention is off ({}=false): nothing is ever deleted", RetentionPolicy.ENABLED);
      return;
    }
    LOG.info(
        "Retention: every {} deleting ended runs older than {} or beyond {} per pipeline, and"
            + " events older than {} or beyond {} (0 = no limit), {} rows per transaction",
        policy.interval(),
        policy.maxAge(),
        policy.maxRunsPerPipeline(),
        policy.maxAge(),
        policy.maxEvents(),
        policy.batchSize());
    timer =
        camelContext
            .getExecutorServiceManager()
            .newSingleThreadScheduledExecutor(this, "caravan-retention");
    long interval = policy.interval().toMillis();
    timer.scheduleWithFixedDelay(this::scheduledPass, interval, interval, TimeUnit.MILLISECONDS);
  }

  @Override
  protected void doStop() throws Exception {
    if (timer != null) {
      camelContext.getExecutorServiceManager().shutdown(timer);
      timer = null;
    }
  }

  private Counter counter(String kind) {
    return Counter.builder(METRIC)
        .description("Rows the retention policy deleted")
        .tag("kind", kind)
        .register(registry);
  }

  private void scheduledPass() {
    try {
      long start = System.nanoTime();
      JdbcRetention.Removed removed = sweep();
      if (!removed.isEmpty()) {
        LOG.info(
            "Retention deleted {} events, {} runs, {} steps and {} log chunks in {} ms",
            removed.events(),
            removed.runs(),
            removed.steps(),
            removed.logChunks(),
            (System.nanoTime() - start) / 1_000_000);
      }
    } catch (StoreException e) {
      if (!isRunAllowed() || camelContext.isStopping()) {
        LOG.debug("Retention pass ended by the stop: {}", e.getMessage());
        return;
      }
      // a replica deleting the same rows, a replay racing an event's delete (foreign key), the
      // database down: what was committed stays deleted, the next pass goes on
      LOG.warn("Retention pass stopped: {}", e.getMessage());
    } catch (RuntimeException e) {
      LOG.warn("Retention pass failed", e);
    }
  }

  /**
   * One pass now, on the calling thread (the scheduled passes call this too; never two at once).
   *
   * @return what it deleted; nothing when there is no JDBC event store (yet)
   */
  public synchronized JdbcRetention.Removed sweep() {
    DataSource database = database();
    if (database == null || policy == null || !policy.enabled()) {
      return JdbcRetention.Removed.NONE;
    }
    Instant now = clock.instant();
    JdbcRetention.Removed removed =
        new JdbcRetention(database).sweep(policy, now, this::count, () -> isRunAllowed());
    // the change feed keeps an hour whatever the policy says: it is a stream's replay window
    new ChangeLog(new Jdbc(database)).prune(now.minus(ChangeLog.KEPT), policy.batchSize());
    return removed;
  }

  private void count(JdbcRetention.Removed removed) {
    events.increment(removed.events());
    runs.increment(removed.runs());
    steps.increment(removed.steps());
    logs.increment(removed.logChunks());
  }

  /** Caravan's database, once the event component has opened it. */
  private DataSource database() {
    Database database = Database.find(camelContext);
    return database == null ? null : database.dataSource();
  }
}
