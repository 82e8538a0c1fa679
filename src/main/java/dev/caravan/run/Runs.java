package dev.caravan.run;

import dev.caravan.event.Delivery;
import dev.caravan.event.Event;
import dev.caravan.event.EventComponent;
import dev.caravan.event.JdbcEventStore;
import dev.caravan.kjob.StepJournal;
import dev.caravan.store.Database;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.support.CamelContextHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caravan's run layer in one CamelContext: every delivery of the event bus becomes a run with a
 * record, a lease (this instance's heartbeats) and its steps in kjob's journal. {@link RunsPlugin}
 * binds one into every context's registry, where the event component finds its {@link
 * #dispatcher()} and kjob its {@link #journalView()}; the stores open once the event component has
 * opened the database.
 */
public final class Runs {

  private static final Logger LOG = LoggerFactory.getLogger(Runs.class);

  private final CamelContext camel;
  private final String instanceId = UUID.randomUUID().toString();
  private final RunDispatcher dispatcher;
  private final RunsJournal journalView = new RunsJournal(this);
  private final RunCanceller canceller;

  /** Settings of the run layer, read when the store opens unless set before. */
  static final String LEASE_TIMEOUT = "caravan.runs.lease-timeout";

  static final String MAX_ATTEMPTS = "caravan.runs.max-attempts";

  private Duration leaseTimeout;
  private Integer maxAttempts;

  private volatile Stores stores;
  private ScheduledExecutorService heartbeats;

  /** The stores on the open database. */
  private record Stores(
      JdbcRunStore runs,
      JdbcStepJournal journal,
      JdbcEventStore events,
      EventComponent bus,
      ManualRuns manual) {}

  public Runs(CamelContext camel) {
    this.camel = camel;
    this.dispatcher = new RunDispatcher(this);
    this.canceller = new RunCanceller(camel);
  }

  /** The run layer of the context. */
  public static Runs of(CamelContext camel) {
    Runs runs = CamelContextHelper.findSingleByType(camel, Runs.class);
    if (runs == null) {
      throw new IllegalStateException("no run layer in this CamelContext (RunsPlugin not loaded)");
    }
    return runs;
  }

  RunDispatcher dispatcher() {
    return dispatcher;
  }

  /** kjob's journal: the steps of runs, once the database is open (until then, none). */
  StepJournal journalView() {
    return journalView;
  }

  /** The event component started: open the stores, and keep this instance's lease. */
  synchronized void open(EventComponent bus) {
    if (!(bus.getStore() instanceof JdbcEventStore events)) {
      LOG.warn("The event store is not Caravan's JDBC store: runs are not recorded");
      return;
    }
    readSettings();
    Database database = bus.getDatabase();
    JdbcRunStore runs = new JdbcRunStore(database.jdbc());
    stores =
        new Stores(
            runs,
            new JdbcStepJournal(database.jdbc()),
            events,
            bus,
            new ManualRuns(database.jdbc(), events));
    runs.heartbeat(instanceId);
    heartbeats =
        camel.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "run-heartbeat");
    long beat = Math.max(100, getLeaseTimeout().toMillis() / 3);
    heartbeats.scheduleWithFixedDelay(this::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
  }

  /**
   * The event component is stopping (its routes have stopped): what this instance left RUNNING is
   * for the next one to resume, at once.
   */
  synchronized void close() {
    if (heartbeats != null) {
      camel.getExecutorServiceManager().shutdown(heartbeats);
      heartbeats = null;
    }
    Stores open = stores;
    stores = null;
    if (open != null) {
      try {
        open.runs().retire(instanceId);
      } catch (RuntimeException e) {
        LOG.warn(
            "Could not record that this Caravan stopped (its runs are resumed after the lease"
                + " timeout): {}",
            e.getMessage());
      }
    }
  }

  private void readSettings() {
    PropertiesComponent properties = camel.getPropertiesComponent();
    if (leaseTimeout == null) {
      setLeaseTimeout(
          setting(properties, LEASE_TIMEOUT)
              .map(text -> RetentionPolicy.parseDuration(LEASE_TIMEOUT, text))
              .orElse(Duration.ofSeconds(30)));
    }
    if (maxAttempts == null) {
      setMaxAttempts(setting(properties, MAX_ATTEMPTS).map(Runs::whole).orElse(3));
    }
  }

  private static Optional<String> setting(PropertiesComponent properties, String key) {
    return properties.resolveProperty(key).filter(text -> !text.isBlank());
  }

  private static int whole(String text) {
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "Invalid " + MAX_ATTEMPTS + "=" + text + ": expected a whole number");
    }
  }

  private void heartbeat() {
    try {
      Stores open = stores;
      if (open != null) {
        open.runs().heartbeat(instanceId);
      }
    } catch (RuntimeException e) {
      LOG.warn("Could not record the heartbeat of this Caravan: {}", e.getMessage());
    }
  }

  private Stores stores() {
    Stores open = stores;
    if (open == null) {
      throw new RunsNotOpenException();
    }
    return open;
  }

  boolean isOpen() {
    return stores != null;
  }

  /** The records of runs. */
  public JdbcRunStore store() {
    return stores().runs();
  }

  /** The steps of runs and their logs. */
  public JdbcStepJournal journal() {
    return stores().journal();
  }

  /**
   * Cancels a run.
   *
   * @return the steps that were stopped, or empty when the run had already ended
   */
  public Optional<List<StepView>> cancel(String runId) {
    Stores open = stores();
    return canceller.cancel(open.runs(), open.events(), open.journal(), runId);
  }

  /** Stops the running steps of a run that was canceled in the store (superseded). */
  void stopSteps(String runId) {
    canceller.stopSteps(stores().journal(), runId);
  }

  /**
   * A new run of the event for each pipeline subscribed to it now; {@code keepSucceeded} reuses the
   * steps that succeeded in the latest run of the same event and pipeline.
   *
   * @return the new runs, or empty when there is no such event
   */
  public Optional<List<JdbcRunStore.Claimed>> replay(String eventId, boolean keepSucceeded) {
    Stores open = stores();
    Optional<List<JdbcRunStore.Claimed>> runs =
        open.runs().replay(open.events(), eventId, keepSucceeded);
    runs.ifPresent(
        started -> started.forEach(run -> open.bus().wakeSubscribers(run.delivery().event())));
    return runs;
  }

  /**
   * Starts a run of one pipeline for a new event (stored like any other), whatever other pipelines
   * it would match: only this one gets a delivery.
   *
   * @return the new run (its delivery), or empty when the pipeline collects no deliveries (its
   *     route is gone) or the event's id is taken
   */
  public Optional<Delivery> runNow(String pipeline, Event event) {
    Stores open = stores();
    Optional<Delivery> run = open.manual().start(pipeline, event);
    run.ifPresent(started -> open.bus().wakeSubscriber(pipeline));
    return run;
  }

  /** What {@link #retry} did. */
  public enum RetryOutcome {
    STARTED,
    NO_SUCH_RUN,
    IN_FLIGHT,
    PIPELINE_INACTIVE
  }

  /**
   * What {@link #retry} did.
   *
   * @param original the run retried, {@code null} when there is none
   * @param run the new run (its delivery), when STARTED
   */
  public record Retry(RetryOutcome outcome, RunView original, Delivery run) {}

  /**
   * A new run of an ended run's pipeline for the same event, recording the run it retries ({@code
   * retryOf}).
   *
   * @param keepSucceeded whether it reuses the steps that succeeded in that run (retry), or runs
   *     every step afresh (rerun)
   */
  public Retry retry(String runId, boolean keepSucceeded) {
    Stores open = stores();
    Retry retry = open.manual().retry(runId, keepSucceeded);
    if (retry.outcome() == RetryOutcome.STARTED) {
      open.bus().wakeSubscriber(retry.run().subscriber());
    }
    return retry;
  }

  String instanceId() {
    return instanceId;
  }

  CamelContext camel() {
    return camel;
  }

  /** How long a Caravan's runs stay its own after its last heartbeat (30 s). */
  public Duration getLeaseTimeout() {
    return leaseTimeout == null ? Duration.ofSeconds(30) : leaseTimeout;
  }

  public void setLeaseTimeout(Duration leaseTimeout) {
    if (leaseTimeout.isNegative() || leaseTimeout.isZero()) {
      throw new IllegalArgumentException(
          "Invalid " + LEASE_TIMEOUT + "=" + leaseTimeout + ": expected a positive duration");
    }
    this.leaseTimeout = leaseTimeout;
  }

  /**
   * Most times a run is started or taken over (resumed after its Caravan stopped or crashed); when
   * a take-over would exceed it, the run becomes FAILED with a summary saying why instead (3).
   */
  public int getMaxAttempts() {
    return maxAttempts == null ? 3 : maxAttempts;
  }

  public void setMaxAttempts(int maxAttempts) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException(
          "Invalid " + MAX_ATTEMPTS + "=" + maxAttempts + ": expected 1 or more");
    }
    this.maxAttempts = maxAttempts;
  }
}
