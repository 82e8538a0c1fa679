package dev.caravan.event;

import dev.caravan.kjob.KjobComponent;
import dev.caravan.kjob.KjobConstants;
import dev.caravan.kjob.StepCanceledException;
import dev.caravan.kjob.StepEvent;
import dev.caravan.kjob.StepExecutors;
import dev.caravan.kjob.StepInterruptedException;
import dev.caravan.kjob.StepTimeoutException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;

/**
 * Delivers a pipeline's pending events, each as one run. The store is the queue: at most {@code
 * concurrency} runs are in flight, the rest wait in the store (back-pressure, no unbounded memory
 * queue), and a delivery is claimed in the store before its run starts, so no event reaches the
 * same pipeline twice, across restarts and replicas.
 */
public class EventConsumer extends DefaultConsumer {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(EventConsumer.class);

  private final EventEndpoint endpoint;
  private final java.util.Map<RunStatus, io.micrometer.core.instrument.Counter> finishedRuns =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();

  /** When to look for orphaned runs next; read and written on the dispatcher thread only. */
  private long nextTakeOver;

  private Subscription subscription;
  private Semaphore slots;
  private ScheduledExecutorService dispatcher;

  public EventConsumer(EventEndpoint endpoint, Processor processor) {
    super(endpoint, processor);
    this.endpoint = endpoint;
  }

  Subscription subscription() {
    return subscription;
  }

  @Override
  protected void doStart() throws Exception {
    super.doStart();
    subscription =
        new Subscription(
            getRouteId(),
            endpoint.getSource(),
            Subscription.parseTypes(endpoint.getTypes()),
            endpoint.getSubject());
    store().subscribe(subscription);
    slots = new Semaphore(endpoint.getConcurrency());
    dispatcher =
        getEndpoint()
            .getCamelContext()
            .getExecutorServiceManager()
            .newSingleThreadScheduledExecutor(this, "event-" + getRouteId());
    long interval = endpoint.getComponent().getPollInterval();
    dispatcher.scheduleWithFixedDelay(this::wake, interval, interval, TimeUnit.MILLISECONDS);
    endpoint.getComponent().register(this);
    wake();
  }

  @Override
  protected void doStop() throws Exception {
    endpoint.getComponent().unregister(this);
    if (dispatcher != null) {
      getEndpoint().getCamelContext().getExecutorServiceManager().shutdown(dispatcher);
      dispatcher = null;
    }
    super.doStop();
  }

  /** Asks for a look at the store; cheap and safe to call from any thread, any number of times. */
  void wake() {
    ScheduledExecutorService current = dispatcher;
    if (current != null && drainScheduled.compareAndSet(false, true)) {
      try {
        current.execute(this::drain);
      } catch (java.util.concurrent.RejectedExecutionException stopping) {
        drainScheduled.set(false);
      }
    }
  }

  private void drain() {
    drainScheduled.set(false);
    try {
      while (isRunAllowed() && !isSuspendingOrSuspended()) {
        int free = slots.availablePermits();
        if (free == 0) {
          return;
        }
        EventComponent component = endpoint.getComponent();
        List<Delivery> orphans = takeOverOrphans(component);
        for (Delivery orphan : orphans) {
          LOG.info("Resuming run {} of {} left by a stopped Caravan", orphan.runId(), getRouteId());
          slots.acquireUninterruptibly();
          startRun(orphan);
        }
        List<Delivery> pending =
            store().pending(subscription.subscriber(), slots.availablePermits());
        if (pending.isEmpty() && orphans.isEmpty()) {
          return;
        }
        for (Delivery delivery : pending) {
          if (slots.availablePermits() > 0
              && store().start(delivery.runId(), component.getInstanceId())) {
            slots.acquireUninterruptibly();
            startRun(delivery);
          }
        }
      }
    } catch (RuntimeException e) {
      getExceptionHandler().handleException("Could not deliver events to " + getRouteId(), e);
    }
  }

  /**
   * Runs left by a stopped Caravan, looked for at most once per poll interval (not on every
   * published event: the lease timeout is far longer than that anyway).
   */
  private List<Delivery> takeOverOrphans(EventComponent component) {
    long now = System.currentTimeMillis();
    if (now < nextTakeOver) {
      return List.of();
    }
    nextTakeOver = now + component.getPollInterval();
    EventStore.TakenOver found =
        store()
            .takeOver(
                subscription.subscriber(),
                component.getInstanceId(),
                Instant.now().minusMillis(component.getRunLeaseTimeout()),
                component.getMaxRunAttempts());
    for (String runId : found.givenUp()) {
      LOG.warn(
          "Run {} of {} FAILED: its Caravan stopped before it ended {} times (maxRunAttempts); it"
              + " is not resumed again",
          runId,
          getRouteId(),
          component.getMaxRunAttempts());
      deleteWorkspace(runId);
      countFinished(RunStatus.FAILED);
    }
    return found.resumed();
  }

  private void startRun(Delivery delivery) {
    Event event = delivery.event();
    String runId = delivery.runId();
    Exchange exchange = createExchange(false);
    Message message = exchange.getMessage();
    message.setBody(EventJson.toJava(event.data()));
    message.setHeader(EventConstants.EVENT_ID, event.id());
    message.setHeader(EventConstants.EVENT_SOURCE, event.source());
    message.setHeader(EventConstants.EVENT_TYPE, event.type());
    message.setHeader(EventConstants.EVENT_SUBJECT, event.subject());
    message.setHeader(EventConstants.EVENT_TIME, event.time().toString());
    message.setHeader(EventConstants.EVENT_LABELS, event.labels());
    String cloudEvent = EventJson.toCloudEvent(event);
    message.setHeader(EventConstants.EVENT, cloudEvent);
    message.setHeader(EventConstants.RUN_ID, runId);
    exchange.setProperty(
        KjobConstants.STEP_EVENT,
        new StepEvent(
            event.id(),
            event.source(),
            event.type(),
            event.subject(),
            event.time(),
            event.labels(),
            cloudEvent));
    if (delivery.reuseFrom() != null) {
      message.setHeader(EventConstants.REUSE_RUN, delivery.reuseFrom());
    }
    getAsyncProcessor()
        .process(
            exchange,
            doneSync -> {
              try {
                if (exchange.getException(StepInterruptedException.class) != null
                    || (exchange.getException() != null && shuttingDown())) {
                  // a failure while Caravan stops is no verdict on the run: resuming it replays
                  // its ended steps from the journal and runs the rest
                  LOG.info("Run {} interrupted by shutdown; it is resumed on restart", runId);
                  return;
                }
                RunStatus status = outcome(exchange);
                store()
                    .finish(
                        runId,
                        status,
                        exchange.getMessage().getHeader(EventConstants.RUN_SUMMARY, String.class));
                deleteWorkspace(runId);
                countFinished(status);
              } catch (RuntimeException e) {
                getExceptionHandler().handleException("Could not record the end of " + runId, e);
              } finally {
                releaseExchange(exchange, false);
                slots.release();
                wake();
              }
            });
  }

  private void countFinished(RunStatus status) {
    finishedRuns
        .computeIfAbsent(
            status,
            s ->
                io.micrometer.core.instrument.Counter.builder("caravan.runs.finished")
                    .description("Runs that ended, by pipeline and status")
                    .tag("pipeline", getRouteId())
                    .tag("status", s.name())
                    .register(io.micrometer.core.instrument.Metrics.globalRegistry))
        .increment();
  }

  /** The run has ended: its kjob workspace (workspace=true), if any, goes. */
  private void deleteWorkspace(String runId) {
    if (getEndpoint().getCamelContext().hasComponent("kjob") instanceof KjobComponent kjob) {
      try {
        StepExecutors.of(kjob.getCamelContext())
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

  private boolean shuttingDown() {
    var context = getEndpoint().getCamelContext();
    return !isRunAllowed() || context.isStopping() || context.isStopped();
  }

  private EventStore store() {
    return endpoint.getComponent().getStore();
  }
}
