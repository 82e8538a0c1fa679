package dev.caravan.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.run.ChangeFeed;
import dev.caravan.run.ChangeLog;
import dev.caravan.run.Runs;
import dev.caravan.store.Database;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The changes of runs and steps for {@code GET /api/stream}, read from the store's change log (so
 * that a change made by any Caravan instance on the store is seen on every one) by one shared
 * reader thread ({@code change-feed}) a few times a second, in order (see {@link ChangeFeed}). Each
 * change becomes one event, rendered once as the API shows runs and steps now, and kept in memory
 * for the last {@link #RECENT} changes; a client resuming from an older change reads it from the
 * change log (kept for {@link ChangeLog#KEPT}).
 */
@Component
class ChangeStream implements DisposableBean {

  private static final Logger LOG = LoggerFactory.getLogger(ChangeStream.class);

  /** How often the change log is read. */
  static final Duration POLL = Duration.ofMillis(250);

  /** How long a change numbered before changes already visible is waited for. */
  static final Duration GRACE = Duration.ofSeconds(2);

  /** How many of the latest changes are kept in memory. */
  static final int RECENT = 1024;

  /** One change as an event: its frame is {@code null} when what changed is gone. */
  record Item(long seq, String runId, String pipeline, String frame) {}

  /**
   * A change read from the log, made an event only when a client first asks for it: with no client
   * listening, reading the log costs one query per poll and nothing per change.
   */
  private static final class Recent {
    private final ChangeLog.Change change;
    private volatile Item item;

    Recent(ChangeLog.Change change) {
      this.change = change;
    }
  }

  private final CamelContext camel;
  private final ObjectMapper json;
  private final ScheduledExecutorService reader;
  private final ArrayDeque<Recent> recent = new ArrayDeque<>();
  private volatile ChangeLog log;
  private ChangeFeed feed;

  /** The seq after which every item is in {@link #recent} (guarded by this). */
  private long recentAfter = -1;

  private volatile long delivered = -1;

  ChangeStream(CamelContext camel, ObjectMapper json) {
    this.camel = camel;
    this.json = json;
    this.reader =
        camel.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "change-feed");
    reader.scheduleWithFixedDelay(
        this::read, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Every change up to this seq has been read; -1 until the store is open. */
  long delivered() {
    return delivered;
  }

  private void read() {
    try {
      if (feed == null) {
        Database database = Database.find(camel);
        if (database == null) {
          return;
        }
        log = new ChangeLog(database.jdbc());
        feed = new ChangeFeed(log, GRACE, 500);
      }
      List<ChangeLog.Change> changes = feed.poll(Instant.now());
      synchronized (this) {
        if (recentAfter < 0) {
          recentAfter = feed.delivered();
        }
        for (ChangeLog.Change change : changes) {
          recent.addLast(new Recent(change));
          if (recent.size() > RECENT) {
            recentAfter = recent.removeFirst().change.seq();
          }
        }
        delivered = feed.delivered();
      }
    } catch (RuntimeException e) {
      // the store may be failing, or not open yet: the next read tries again
      LOG.debug("Could not read the change log: {}", e.getMessage());
    }
  }

  /** At most {@code limit} items after the seq {@code cursor}, in order. */
  List<Item> after(long cursor, int limit) {
    long until;
    List<Recent> kept = null;
    synchronized (this) {
      until = delivered;
      if (until < 0 || cursor >= until) {
        return List.of();
      }
      if (cursor >= recentAfter) {
        kept = recent(cursor, limit);
      }
    }
    if (kept != null) {
      // rendered outside the lock: the reader keeps reading meanwhile
      return rendered(kept);
    }
    // older than what is in memory: from the change log
    List<Item> found = new ArrayList<>();
    for (ChangeLog.Change change : log.between(cursor, until, limit)) {
      found.add(render(change));
    }
    if (found.isEmpty()) {
      // deleted from the change log (older than it keeps) but still in memory
      List<Recent> stillKept;
      synchronized (this) {
        stillKept = recent(cursor, limit);
      }
      return rendered(stillKept);
    }
    return found;
  }

  private List<Recent> recent(long cursor, int limit) {
    List<Recent> found = new ArrayList<>();
    for (Recent entry : recent) {
      if (entry.change.seq() > cursor) {
        found.add(entry);
        if (found.size() == limit) {
          break;
        }
      }
    }
    return found;
  }

  /** The entries as events, each rendered once (two clients asking at once may both render it). */
  private List<Item> rendered(List<Recent> entries) {
    List<Item> items = new ArrayList<>(entries.size());
    for (Recent entry : entries) {
      Item item = entry.item;
      if (item == null) {
        item = render(entry.change);
        entry.item = item;
      }
      items.add(item);
    }
    return items;
  }

  /** The change as an event: the run or step as {@code GET /api/runs/{id}} shows it now. */
  private Item render(ChangeLog.Change change) {
    Runs runs = Runs.of(camel);
    Optional<Map<String, Object>> data;
    if (change.kind() == ChangeLog.Kind.RUN) {
      data = runs.store().run(change.runId()).map(RunsController::describe);
    } else {
      data =
          runs.journal()
              .step(change.runId(), change.stepName(), change.fanOutIndex(), change.attempt())
              .map(
                  step -> {
                    Map<String, Object> item = new LinkedHashMap<>();
                    item.put("run", change.runId());
                    item.put("pipeline", change.pipeline());
                    item.putAll(RunsController.describe(step));
                    return item;
                  });
    }
    String frame =
        data.map(
                map ->
                    EventStreams.event(
                        Long.toString(change.seq()), change.kind().label(), write(map)))
            .orElse(null);
    return new Item(change.seq(), change.runId(), change.pipeline(), frame);
  }

  private String write(Map<String, Object> data) {
    try {
      return json.writeValueAsString(data);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Could not write a change as JSON", e);
    }
  }

  @Override
  public void destroy() {
    camel.getExecutorServiceManager().shutdownNow(reader);
  }
}
