package dev.caravan.event;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.spi.ExecutorServiceManager;
import org.apache.camel.support.DefaultConsumer;

/**
 * Delivers a pipeline's events, each as one exchange. The store is the queue: at most {@code
 * concurrency} deliveries are in flight, the rest wait in the store (back-pressure, no unbounded
 * memory queue), and a delivery is taken off the queue before its exchange starts, so no event
 * reaches the same subscriber twice, across restarts and replicas. One thread per consumer looks at
 * the store; exchanges start on a bounded pool of the consumer's own, so a route whose first
 * processor blocks delays no other delivery.
 */
public class EventConsumer extends DefaultConsumer {

  /** How long a stop waits for a look at the store in progress. */
  private static final long STOP_WAIT_MILLIS = 10_000;

  private final EventEndpoint endpoint;
  private final ConcurrencyGroups groups;
  private final AtomicBoolean drainScheduled = new AtomicBoolean();

  /** When to ask for resumable deliveries next; read and written on the dispatcher thread only. */
  private long nextResume;

  private Subscription subscription;
  private Semaphore slots;
  private volatile ScheduledExecutorService dispatcher;
  private ExecutorService starter;

  public EventConsumer(EventEndpoint endpoint, Processor processor, ConcurrencyGroups groups) {
    super(endpoint, processor);
    this.endpoint = endpoint;
    this.groups = groups;
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
    // a drain asked for just before an earlier stop may have been discarded with its pool
    drainScheduled.set(false);
    nextResume = 0;
    slots = new Semaphore(endpoint.getConcurrency());
    ExecutorServiceManager threads = getEndpoint().getCamelContext().getExecutorServiceManager();
    dispatcher = threads.newSingleThreadScheduledExecutor(this, "event-" + getRouteId());
    starter =
        threads.newFixedThreadPool(
            this, "event-" + getRouteId() + "-start", endpoint.getConcurrency());
    long interval = endpoint.getComponent().getPollInterval();
    dispatcher.scheduleWithFixedDelay(this::wake, interval, interval, TimeUnit.MILLISECONDS);
    endpoint.getComponent().register(this);
    wake();
  }

  @Override
  protected void doStop() throws Exception {
    endpoint.getComponent().unregister(this);
    ExecutorServiceManager threads = getEndpoint().getCamelContext().getExecutorServiceManager();
    if (dispatcher != null) {
      // a look at the store in progress ends before the stop returns: a delivery stored after
      // the stop must wait in the store, not be taken and handed back as a resumable run
      threads.shutdownGraceful(dispatcher, STOP_WAIT_MILLIS);
      dispatcher = null;
    }
    if (starter != null) {
      threads.shutdown(starter);
      starter = null;
    }
    super.doStop();
  }

  /** Asks for a look at the store; cheap and safe to call from any thread, any number of times. */
  void wake() {
    ScheduledExecutorService current = dispatcher;
    if (current != null && drainScheduled.compareAndSet(false, true)) {
      try {
        current.execute(this::drain);
      } catch (RejectedExecutionException stopping) {
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
        List<Delivery> ready = new ArrayList<>(resumable(free));
        if (ready.size() < free) {
          ready.addAll(store().take(subscription.subscriber(), free - ready.size(), groups));
        }
        if (ready.isEmpty()) {
          return;
        }
        for (Delivery delivery : ready) {
          slots.acquireUninterruptibly();
          dispatch(delivery);
        }
      }
    } catch (RuntimeException e) {
      getExceptionHandler().handleException("Could not deliver events to " + getRouteId(), e);
    }
  }

  /**
   * What the handler has to resume (deliveries a stopped Caravan left), asked for at most once per
   * poll interval (not on every published event: a lease takes far longer to expire anyway).
   */
  private List<Delivery> resumable(int limit) {
    long now = System.currentTimeMillis();
    if (now < nextResume) {
      return List.of();
    }
    nextResume = now + endpoint.getComponent().getPollInterval();
    return handler().resumable(subscription, limit, groups);
  }

  private void dispatch(Delivery delivery) {
    ExecutorService pool = starter;
    try {
      if (pool == null || !isRunAllowed()) {
        throw new RejectedExecutionException("the consumer of " + getRouteId() + " stopped");
      }
      pool.execute(() -> start(delivery));
    } catch (RejectedExecutionException stopping) {
      abandon(delivery);
    }
  }

  /** The consumer stopped between taking the delivery and starting its exchange. */
  private void abandon(Delivery delivery) {
    try {
      handler().abandoned(delivery);
    } catch (RuntimeException e) {
      getExceptionHandler()
          .handleException("Could not hand back delivery " + delivery.id() + " for later", e);
    } finally {
      slots.release();
    }
  }

  private void start(Delivery delivery) {
    if (!isRunAllowed()) {
      abandon(delivery);
      return;
    }
    Exchange exchange = createExchange(false);
    describe(exchange.getMessage(), delivery.event());
    try {
      handler().starting(delivery, exchange);
    } catch (RuntimeException e) {
      exchange.setException(e);
    }
    if (exchange.getException() != null) {
      end(delivery, exchange);
      return;
    }
    getAsyncProcessor().process(exchange, doneSync -> end(delivery, exchange));
  }

  private void end(Delivery delivery, Exchange exchange) {
    try {
      handler().ended(delivery, exchange);
    } catch (RuntimeException e) {
      getExceptionHandler()
          .handleException("Could not record the end of delivery " + delivery.id(), e);
    } finally {
      releaseExchange(exchange, false);
      slots.release();
      wake();
    }
  }

  /** The event as a pipeline's exchange sees it: its data as the body, the event headers. */
  static void describe(Message message, Event event) {
    message.setBody(EventJson.toJava(event.data()));
    message.setHeader(EventConstants.EVENT_ID, event.id());
    message.setHeader(EventConstants.EVENT_SOURCE, event.source());
    message.setHeader(EventConstants.EVENT_TYPE, event.type());
    message.setHeader(EventConstants.EVENT_SUBJECT, event.subject());
    message.setHeader(EventConstants.EVENT_TIME, event.time().toString());
    message.setHeader(EventConstants.EVENT_LABELS, event.labels());
    message.setHeader(EventConstants.EVENT, EventJson.toCloudEvent(event));
  }

  private DeliveryHandler handler() {
    return endpoint.getComponent().getDeliveryHandler();
  }

  private EventStore store() {
    return endpoint.getComponent().getStore();
  }
}
