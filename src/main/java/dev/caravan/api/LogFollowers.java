package dev.caravan.api;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;

/**
 * Everyone following a log ({@code ?follow=true}, or an event stream of a log) or {@code
 * /api/stream}: no thread per follower. One shared scheduler thread looks at every follower a few
 * times a second, asks its source what is new (log chunks from the store, changes from the change
 * feed) and writes it without blocking; a follower ends when its source has nothing more and
 * everything was written, or when its client is gone. At most {@code caravan.api.max-followers} at
 * once, all kinds together; the gauge {@code caravan.api.log.followers} says how many there are. An
 * event stream quiet for {@code caravan.api.heartbeat} gets a comment line, so that proxies keep it
 * open.
 */
@Component
class LogFollowers implements DisposableBean, ApplicationListener<ContextClosedEvent> {

  private static final Logger LOG = LoggerFactory.getLogger(LogFollowers.class);

  /** How often every follower is looked at. */
  static final Duration POLL = Duration.ofMillis(250);

  /** When a follow request refused for too many followers may be tried again. */
  private static final Duration RETRY_AFTER = Duration.ofSeconds(10);

  /** Longest a follow request stays open. */
  static final Duration LIMIT = Duration.ofHours(1);

  private final CamelContext camel;
  private final int max;
  private final Duration heartbeat;
  private final ScheduledExecutorService scheduler;
  private final Set<LogFollower> followers = ConcurrentHashMap.newKeySet();
  private final AtomicInteger admitted = new AtomicInteger();
  private volatile boolean closing;

  LogFollowers(
      CamelContext camel,
      MeterRegistry meters,
      @Value("${caravan.api.max-followers:100}") int max,
      @Value("${caravan.api.heartbeat:15s}") Duration heartbeat) {
    if (max < 0) {
      throw new IllegalArgumentException(
          "Invalid caravan.api.max-followers=" + max + ": expected 0 or more");
    }
    if (heartbeat.isNegative() || heartbeat.isZero()) {
      throw new IllegalArgumentException(
          "Invalid caravan.api.heartbeat=" + heartbeat + ": expected a positive duration");
    }
    this.camel = camel;
    this.max = max;
    this.heartbeat = heartbeat;
    this.scheduler =
        camel.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "log-followers");
    Gauge.builder("caravan.api.log.followers", admitted, AtomicInteger::get)
        .description("Clients following a log or the change stream now")
        .register(meters);
    scheduler.scheduleWithFixedDelay(
        this::lookAtAll, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The most followers at once. */
  int max() {
    return max;
  }

  /**
   * The answer to a follower refused for too many followers: 503 with Retry-After.
   *
   * @param doing what the client wanted to do, as in "at most 100 clients may ... at once"
   */
  ResponseEntity<Map<String, String>> refused(String error, String doing) {
    return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
        .header(HttpHeaders.RETRY_AFTER, Long.toString(RETRY_AFTER.toSeconds()))
        .contentType(MediaType.APPLICATION_JSON)
        .body(
            Map.of(
                "error",
                error,
                "detail",
                "at most "
                    + max
                    + " clients may "
                    + doing
                    + " at once (caravan.api.max-followers, shared by log followers and"
                    + " /api/stream); try again later, or read the log without follow=true"));
  }

  /** Followers now. */
  int count() {
    return admitted.get();
  }

  /**
   * Starts following the source on this request, unless there are as many followers as allowed.
   *
   * @param contentType the response's, such as {@code text/plain;charset=UTF-8}
   * @return whether the request is now followed (else nothing was written to it)
   */
  boolean follow(
      HttpServletRequest request,
      HttpServletResponse response,
      String contentType,
      LogFollower.Source source)
      throws IOException {
    if (admitted.incrementAndGet() > max) {
      admitted.decrementAndGet();
      return false;
    }
    try {
      response.setContentType(contentType);
      response.setHeader("Cache-Control", "no-cache");
      // no proxy in between may hold the stream back until it ends
      response.setHeader("X-Accel-Buffering", "no");
      AsyncContext async = request.startAsync(request, response);
      async.setTimeout(LIMIT.toMillis());
      LogFollower follower = LogFollower.start(source, heartbeat, async, this::ended, this::wake);
      followers.add(follower);
      if (closing) {
        follower.end(); // admitted while the app closes: the others are ended already
      }
      wake(follower);
    } catch (IOException | RuntimeException e) {
      admitted.decrementAndGet();
      throw e;
    }
    return true;
  }

  private void ended(LogFollower follower) {
    if (followers.remove(follower)) {
      admitted.decrementAndGet();
    }
  }

  /** Asks for a look at one follower soon; cheap to call from any thread, any number of times. */
  private void wake(LogFollower follower) {
    if (follower.claimLook()) {
      try {
        scheduler.execute(
            () -> {
              follower.lookStarts();
              look(follower);
            });
      } catch (RejectedExecutionException stopping) {
        follower.lookStarts();
      }
    }
  }

  /** One look at every follower. */
  private void lookAtAll() {
    for (LogFollower follower : followers) {
      look(follower);
    }
  }

  /** What is new for one follower. */
  private void look(LogFollower follower) {
    try {
      follower.poll();
    } catch (RuntimeException e) {
      // the store may be failing: the follower waits for the next look
      LOG.debug("Could not look at a followed log: {}", e.getMessage());
    }
  }

  /**
   * Ends every follower (and /api/stream client) as the application begins to close, before the web
   * server's graceful shutdown: streams that stay open for an hour would hold it for its whole
   * timeout. (Not a SmartLifecycle: one that needs the CamelContext would start it before its
   * routes are added.)
   */
  @Override
  public void onApplicationEvent(ContextClosedEvent closed) {
    closing = true;
    followers.forEach(LogFollower::end);
  }

  @Override
  public void destroy() {
    followers.forEach(LogFollower::end);
    camel.getExecutorServiceManager().shutdownNow(scheduler);
  }
}
