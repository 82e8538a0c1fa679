package dev.caravan.run;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the {@link ChangeLog} in the order of its seq, for one Caravan instance: every poll hands
 * out the changes that became visible since, each once, in increasing seq, never one below a change
 * handed out before. A change numbered after one not visible yet waits: on PostgreSQL, a
 * transaction that took seq 7 may commit after the one that took seq 8. A seq missing for {@code
 * grace} is taken for one that never comes (its transaction rolled back), and the changes after it
 * are handed out; a change that commits later than that is not handed out (a client reading the
 * change log from an earlier position still gets it). Not thread-safe: one reader polls.
 */
public final class ChangeFeed {

  private final ChangeLog log;
  private final Duration grace;
  private final int batchSize;
  private final TreeMap<Long, ChangeLog.Change> waiting = new TreeMap<>();
  private final Map<Long, Instant> missingSince = new HashMap<>();
  private long delivered = -1;

  /**
   * @param grace how long a missing seq is waited for
   * @param batchSize most changes read at a time
   */
  public ChangeFeed(ChangeLog log, Duration grace, int batchSize) {
    this.log = log;
    this.grace = grace;
    this.batchSize = batchSize;
  }

  /**
   * Every change up to this seq has been handed out (or given up); before the first poll, -1. The
   * first poll starts at the latest change visible then, handing out nothing.
   */
  public long delivered() {
    return delivered;
  }

  /** The changes visible now, in order, after those handed out before. */
  public List<ChangeLog.Change> poll(Instant now) {
    if (delivered < 0) {
      delivered = log.latest();
      return List.of();
    }
    for (ChangeLog.Change change : log.after(delivered, batchSize)) {
      waiting.putIfAbsent(change.seq(), change);
    }
    List<ChangeLog.Change> out = new ArrayList<>();
    while (!waiting.isEmpty()) {
      long next = delivered + 1;
      ChangeLog.Change first = waiting.firstEntry().getValue();
      if (first.seq() == next) {
        out.add(waiting.pollFirstEntry().getValue());
        missingSince.remove(next);
        delivered = next;
        continue;
      }
      // seq next is missing: wait for it, unless it has been missing for the whole grace
      Instant since = missingSince.computeIfAbsent(next, seq -> now);
      if (Duration.between(since, now).compareTo(grace) < 0) {
        break;
      }
      missingSince.remove(next);
      delivered = next;
    }
    return out;
  }
}
