package dev.caravan.run;

import dev.caravan.event.ConcurrencyGroups;
import dev.caravan.event.Delivery;
import dev.caravan.event.DeliveryHandler;
import dev.caravan.event.Event;
import dev.caravan.event.EventComponent;
import dev.caravan.event.EventConstants;
import dev.caravan.event.Subscription;
import dev.caravan.kjob.KjobConstants;
import dev.caravan.kjob.StepCanceledException;
import dev.caravan.kjob.StepEvent;
import dev.caravan.kjob.StepExecutors;
import dev.caravan.kjob.StepTimeoutException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.StatefulService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes each delivery of the event bus a run: its record is written with the delivery, it becomes
 * RUNNING here when the delivery is taken, its exchange carries the run id (and the run whose steps
 * it reuses) for kjob, and how the exchange ended is how the run ended. Runs that a stopped Caravan
 * left RUNNING are taken over once their lease has expired and resumed.
 */
final class RunDispatcher implements DeliveryHandler {

  private static final Logger LOG = LoggerFactory.getLogger(RunDispatcher.class);

  private final Runs runs;

  /** The run each claimed run reuses the steps of, until its exchange starts. */
  private final Map<String, String> reuse = new ConcurrentHashMap<>();

  private final Map<String, Counter> finished = new ConcurrentHashMap<>();

  /** The runs each new run superseded in its concurrency group, until their steps are stopped. */
  private final Map<String, List<String>> superseded = new ConcurrentHashMap<>();

  RunDispatcher(Runs runs) {
    this.runs = runs;
  }

  @Override
  public void started(EventComponent component) {
    runs.open(component);
  }

  @Override
  public void stopping() {
    runs.close();
  }

  @Override
  public void enqueued(Connection connection, List<Delivery> deliveries) throws SQLException {
    JdbcRunStore.insertPending(connection, deliveries, null);
  }

  @Override
  public List<Delivery> delivered(Connection connection, Event event) throws SQLException {
    return JdbcRunStore.runsOf(connection, event);
  }

  @Override
  public List<Delivery> taken(Connection connection, List<Delivery> deliveries)
      throws SQLException {
    return JdbcRunStore.claim(connection, deliveries, runs.instanceId()).stream()
        .map(this::remember)
        .toList();
  }

  @Override
  public List<Delivery> taken(
      Connection connection, List<Delivery> deliveries, ConcurrencyGroups groups)
      throws SQLException {
    JdbcConcurrencyGroups.Admission admission =
        JdbcConcurrencyGroups.admit(connection, deliveries, groups, runs.instanceId());
    admission.superseded().forEach((run, canceled) -> superseded.put(run, canceled));
    return admission.claimed().stream().map(this::remember).toList();
  }

  @Override
  public List<Delivery> resumable(Subscription subscription, int limit, ConcurrencyGroups groups) {
    int handedBack = runs.store().handBack(subscription.subscriber(), groups.limit());
    if (handedBack > 0) {
      LOG.info(
          "Handed back {} run(s) of {} waiting in concurrency groups with room",
          handedBack,
          subscription.subscriber());
    }
    return resumable(subscription, limit);
  }

  @Override
  public List<Delivery> resumable(Subscription subscription, int limit) {
    JdbcRunStore.TakenOver found =
        runs.store()
            .takeOver(
                subscription.subscriber(),
                runs.instanceId(),
                Instant.now().minus(runs.getLeaseTimeout()),
                runs.getMaxAttempts());
    for (String runId : found.givenUp()) {
      LOG.warn(
          "Run {} of {} FAILED: its Caravan stopped before it ended {} times (caravan.runs.max-attempts); it"
              + " is not resumed again",
          runId,
          subscription.subscriber(),
          runs.getMaxAttempts());
      deleteWorkspace(runId);
      count(subscription.subscriber(), RunStatus.FAILED);
    }
    return found.resumed().stream()
        .map(
            run -> {
              LOG.info(
                  "Resuming run {} of {} left by a stopped Caravan",
                  run.delivery().id(),
                  subscription.subscriber());
              return remember(run);
            })
        .toList();
  }

  private Delivery remember(JdbcRunStore.Claimed run) {
    if (run.reuseFrom() != null) {
      reuse.put(run.delivery().id(), run.reuseFrom());
    }
    return run.delivery();
  }

  @Override
  public void starting(Delivery delivery, Exchange exchange) {
    stopSuperseded(delivery);
    exchange.getMessage().setHeader(KjobConstants.RUN_ID, delivery.id());
    Event event = delivery.event();
    // what the run's steps learn of the event: a property, which no request can set
    exchange.setProperty(
        KjobConstants.STEP_EVENT,
        new StepEvent(
            event.id(),
            event.source(),
            event.type(),
            event.subject(),
            event.time(),
            event.labels(),
            exchange.getMessage().getHeader(EventConstants.EVENT, String.class)));
    String reuseFrom = reuse.remove(delivery.id());
    if (reuseFrom != null) {
      exchange.getMessage().setHeader(KjobConstants.REUSE_RUN, reuseFrom);
    }
  }

  /** The runs this one superseded were canceled as it was taken; now their steps stop. */
  private void stopSuperseded(Delivery delivery) {
    for (String runId : superseded.getOrDefault(delivery.id(), List.of())) {
      LOG.info(
          "Run {} of {} canceled: superseded by run {}",
          runId,
          delivery.subscriber(),
          delivery.id());
      try {
        runs.stopSteps(runId);
      } catch (RuntimeException e) {
        LOG.warn("Could not stop the steps of superseded run {}: {}", runId, e.toString());
      }
    }
    superseded.remove(delivery.id());
  }

  @Override
  public void abandoned(Delivery delivery) {
    stopSuperseded(delivery);
    reuse.remove(delivery.id());
    runs.store().release(delivery.id(), runs.instanceId(), false);
  }

  @Override
  public void ended(Delivery delivery, Exchange exchange) {
    String runId = delivery.id();
    if (exchange.getException() != null && stopping(exchange.getContext(), delivery)) {
      // a failure while Caravan stops is no verdict on the run: resuming it replays its ended
      // steps from the journal and runs the rest
      LOG.info("Run {} interrupted by shutdown; it is resumed on restart", runId);
      runs.store().release(runId, runs.instanceId(), true);
      return;
    }
    RunStatus status = outcome(exchange);
    runs.store()
        .finish(
            runId,
            status,
            exchange.getMessage().getHeader(RunConstants.RUN_SUMMARY, String.class),
            RunErrors.messageOf(exchange.getException()));
    RunListeners.runEnded(runs.camel(), runs.store(), runId, status, exchange);
    deleteWorkspace(runId);
    count(delivery.subscriber(), status);
  }

  /** How the run ended, from the exchange: the kind of step exception that ended it, if any. */
  static RunStatus outcome(Exchange exchange) {
    if (exchange.getException() == null) {
      return RunStatus.SUCCEEDED;
    }
    if (exchange.getException(StepCanceledException.class) != null) {
      return RunStatus.CANCELED;
    }
    if (exchange.getException(StepTimeoutException.class) != null) {
      return RunStatus.TIMED_OUT;
    }
    return RunStatus.FAILED;
  }

  private static boolean stopping(CamelContext camel, Delivery delivery) {
    if (camel.isStopping() || camel.isStopped()) {
      return true;
    }
    Route route = camel.getRoute(delivery.subscriber());
    if (route == null) {
      return true;
    }
    // a route's consumer stops first, then the route waits for its exchanges in flight
    if (route.getConsumer() instanceof StatefulService consumer
        && (consumer.isStopping() || consumer.isStopped())) {
      return true;
    }
    ServiceStatus status = camel.getRouteController().getRouteStatus(delivery.subscriber());
    return status == null || status.isStopping() || status.isStopped();
  }

  /** The run has ended: its kjob workspace (workspace=true), if any, goes. */
  private void deleteWorkspace(String runId) {
    if (runs.camel().hasComponent("kjob") != null) {
      try {
        StepExecutors.of(runs.camel())
            .deleteWorkspace(runId)
            .exceptionally(
                error -> {
                  LOG.warn("Could not delete the workspace of run {}: {}", runId, error.toString());
                  return null;
                });
      } catch (RuntimeException e) {
        LOG.warn("Could not delete the workspace of run {}: {}", runId, e.toString());
      }
    }
  }

  private void count(String pipeline, RunStatus status) {
    finished
        .computeIfAbsent(
            pipeline + '\n' + status,
            key ->
                Counter.builder("caravan.runs.finished")
                    .description("Runs that ended, by pipeline and status")
                    .tag("pipeline", pipeline)
                    .tag("status", status.name())
                    .register(Metrics.globalRegistry))
        .increment();
  }
}
