package dev.caravan.api;

import dev.caravan.run.JdbcStepJournal;
import dev.caravan.run.Runs;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
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
import org.springframework.stereotype.Component;

/**
 * Everyone following a step log ({@code ?follow=true}): no thread per follower. One shared
 * scheduler thread looks at every follower a few times a second, reads the new log chunks from the
 * store and writes them without blocking; a follower ends when its step has ended and everything
 * was written, or when its client is gone. At most {@code caravan.api.max-followers} at once; the
 * gauge {@code caravan.api.log.followers} says how many there are.
 */
@Component
class LogFollowers implements DisposableBean {

  private static final Logger LOG = LoggerFactory.getLogger(LogFollowers.class);

  /** How often every follower is looked at. */
  static final Duration POLL = Duration.ofMillis(250);

  /** Longest a follow request stays open. */
  static final Duration LIMIT = Duration.ofHours(1);

  private final CamelContext camel;
  private final int max;
  private final ScheduledExecutorService scheduler;
  private final Set<LogFollower> followers = ConcurrentHashMap.newKeySet();
  private final AtomicInteger admitted = new AtomicInteger();

  LogFollowers(
      CamelContext camel,
      MeterRegistry meters,
      @Value("${caravan.api.max-followers:100}") int max) {
    if (max < 0) {
      throw new IllegalArgumentException(
          "Invalid caravan.api.max-followers=" + max + ": expected 0 or more");
    }
    this.camel = camel;
    this.max = max;
    this.scheduler =
        camel.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "log-followers");
    Gauge.builder("caravan.api.log.followers", admitted, AtomicInteger::get)
        .description("Clients following a step log now")
        .register(meters);
    scheduler.scheduleWithFixedDelay(
        this::lookAtAll, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The most followers at once. */
  int max() {
    return max;
  }

  /** Followers now. */
  int count() {
    return admitted.get();
  }

  /**
   * Starts following the step on this request, unless there are as many followers as allowed.
   *
   * @return whether the request is now followed (else nothing was written to it)
   */
  boolean follow(HttpServletRequest request, HttpServletResponse response, LogFollower.Step step)
      throws IOException {
    if (admitted.incrementAndGet() > max) {
      admitted.decrementAndGet();
      return false;
    }
    try {
      response.setContentType("text/plain;charset=UTF-8");
      response.setHeader("Cache-Control", "no-cache");
      // no proxy in between may hold the stream back until it ends
      response.setHeader("X-Accel-Buffering", "no");
      AsyncContext async = request.startAsync(request, response);
      async.setTimeout(LIMIT.toMillis());
      LogFollower follower = LogFollower.start(step, async, this::ended, this::wake);
      followers.add(follower);
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
              look(follower, new HashMap<>());
            });
      } catch (RejectedExecutionException stopping) {
        follower.lookStarts();
      }
    }
  }

  /** One look at every follower. */
  private void lookAtAll() {
    Map<LogFollower.Step, Boolean> ended = new HashMap<>();
    for (LogFollower follower : followers) {
      look(follower, ended);
    }
  }

  /**
   * Whether the follower's step had ended (asked once per step and look), then what is new in its
   * log.
   */
  private void look(LogFollower follower, Map<LogFollower.Step, Boolean> ended) {
    try {
      JdbcStepJournal journal = Runs.of(camel).journal();
      LogFollower.Step step = follower.step();
      boolean stepEnded =
          ended.computeIfAbsent(
              step,
              s ->
                  !Boolean.FALSE.equals(
                      journal.hasEnded(s.runId(), s.name(), s.fanOutIndex(), s.attempt())));
      follower.poll(journal, stepEnded);
    } catch (RuntimeException e) {
      // the store may be failing: the follower waits for the next look
      LOG.debug("Could not look at a followed log: {}", e.getMessage());
    }
  }

  @Override
  public void destroy() {
    followers.forEach(LogFollower::end);
    camel.getExecutorServiceManager().shutdownNow(scheduler);
  }
}
