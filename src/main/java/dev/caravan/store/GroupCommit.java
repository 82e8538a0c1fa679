package dev.caravan.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * Writes that arrive together share one transaction and one commit, without a thread of its own:
 * each caller queues its work and takes the writer's lock; whoever holds it waits a little for more
 * under a steady load ({@link #gather}), runs every work queued so far (up to {@value #MAX_BATCH}),
 * each under a savepoint so that a failing work is undone alone, commits once and hands every
 * caller its own result. A caller whose work was run by an earlier holder finds it done when it
 * gets the lock. On an embedded database, where each commit writes the changed pages to the file
 * ({@link Commits}), this turns many small commits into a few larger ones; a caller still returns
 * only after its work was committed.
 */
final class GroupCommit {

  static final int MAX_BATCH = 64;

  /** How long a batch waits at most for more writers (see {@link #gather}). */
  static final Duration GATHER_WINDOW = Duration.ofMillis(1);

  /** A batch stops waiting when no writer came for this long. */
  static final Duration GATHER_GAP = Duration.ofNanos(200_000);

  /**
   * Whether writes to the database at this JDBC URL gain from sharing commits: an embedded H2 (a
   * file or memory in this JVM). Not a database behind a socket (PostgreSQL, H2 over TCP or with
   * {@code AUTO_SERVER}), where every statement of a batch would wait for a round trip while the
   * other writers wait for the batch, and PostgreSQL groups the flushes of concurrent commits
   * itself.
   */
  static boolean suits(String jdbcUrl) {
    String url = jdbcUrl.toUpperCase(Locale.ROOT);
    return url.startsWith("JDBC:H2:")
        && !url.startsWith("JDBC:H2:TCP:")
        && !url.startsWith("JDBC:H2:SSL:")
        && !url.contains("AUTO_SERVER=TRUE");
  }

  private final DataSource dataSource;
  private final Supplier<Commits> commits;
  private final ReentrantLock writer = new ReentrantLock();

  /** Notified after each batch (see {@link #write}). */
  private final Object batches = new Object();

  private final Queue<Pending<?>> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();

  /** The size of the last batch: how many writers the next one waits for (see {@link #gather}). */
  private int lastBatch;

  /** The holder while it waits for more writers, to be woken when enough are queued. */
  private volatile Thread gathering;

  private volatile int gatherTarget;

  private final long windowNanos;
  private final long gapNanos;

  /**
   * @param window how long a batch waits at most for more writers
   * @param gap how long a batch waits for the next writer before it stops waiting
   */
  GroupCommit(DataSource dataSource, Supplier<Commits> commits, Duration window, Duration gap) {
    this.dataSource = dataSource;
    this.commits = commits;
    this.windowNanos = window.toNanos();
    this.gapNanos = gap.toNanos();
  }

  /** Whether the calling thread is running a batch (a write from inside a work). */
  boolean isWriting() {
    return writer.isHeldByCurrentThread();
  }

  int queued() {
    return queued.get();
  }

  /**
   * Runs the work in a transaction shared with concurrent writes; returns once committed. A caller
   * whose work another holder ran returns as soon as that batch is committed, without taking the
   * lock in its turn: the callers of one batch wake together, not one after another.
   */
  <T> T write(Jdbc.Work<T> work) throws SQLException {
    Pending<T> pending = new Pending<>(work);
    queue.add(pending);
    int waiting = queued.incrementAndGet();
    Thread holder = gathering;
    if (holder != null && waiting >= gatherTarget) {
      LockSupport.unpark(holder);
    }
    while (!pending.done) {
      if (writer.tryLock()) {
        try {
          while (!pending.done) {
            gather();
            runBatch();
          }
        } finally {
          writer.unlock();
          batchEnded();
        }
      } else {
        awaitBatch(pending);
      }
    }
    return pending.result();
  }

  /** Wakes the callers waiting for a batch: theirs may be done, or the lock free. */
  private void batchEnded() {
    synchronized (batches) {
      batches.notifyAll();
    }
  }

  /** Waits until the caller's work is done or the writer's lock is free to try. */
  private void awaitBatch(Pending<?> pending) {
    boolean interrupted = false;
    synchronized (batches) {
      while (!pending.done && writer.isLocked()) {
        try {
          batches.wait();
        } catch (InterruptedException e) {
          // the work is queued and will be committed: wait for it, then say so
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Waits a little for more writers before a batch, as PostgreSQL's {@code commit_delay} does: a
   * commit on an embedded H2 costs about the same for one write as for ten (it rewrites the pages
   * each tree's change touched, up to the root), so under a steady load of concurrent writers each
   * commit should carry many. The batch waits until as many writers are queued as the last batch
   * had, at most the window, and stops as soon as no writer came for a gap. A writer alone (the
   * last batch had one) does not wait, nor does a writer whose siblings stopped coming.
   */
  private void gather() {
    // a batch holds at most MAX_BATCH, so the target never exceeds it
    int target = lastBatch;
    if (target <= 1 || queued.get() >= target) {
      return;
    }
    gatherTarget = target;
    gathering = Thread.currentThread();
    try {
      long deadline = System.nanoTime() + windowNanos;
      for (long left = windowNanos; left > 0; left = deadline - System.nanoTime()) {
        int seen = queued.get();
        if (seen >= target || Thread.currentThread().isInterrupted()) {
          return;
        }
        LockSupport.parkNanos(this, Math.min(left, gapNanos));
        if (queued.get() == seen && System.nanoTime() - deadline < 0) {
          // woken by the gap's end (or spuriously) with nobody new: the siblings stopped coming
          return;
        }
      }
    } finally {
      gathering = null;
    }
  }

  private void runBatch() {
    List<Pending<?>> batch = new ArrayList<>();
    for (Pending<?> next = queue.poll(); next != null; next = queue.poll()) {
      queued.decrementAndGet();
      batch.add(next);
      if (batch.size() == MAX_BATCH) {
        break;
      }
    }
    lastBatch = batch.size();
    try (Connection connection = dataSource.getConnection()) {
      boolean autoCommit = connection.getAutoCommit();
      connection.setAutoCommit(false);
      try {
        runAll(connection, batch);
        commits.get().commit(connection);
      } catch (SQLException | RuntimeException | Error e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(autoCommit);
      }
    } catch (SQLException | RuntimeException | Error e) {
      // the commit (or the connection) failed: no work of the batch was stored
      for (Pending<?> pending : batch) {
        pending.fail(e);
      }
    } finally {
      for (Pending<?> pending : batch) {
        pending.done = true;
      }
    }
  }

  private static void runAll(Connection connection, List<Pending<?>> batch) throws SQLException {
    if (batch.size() == 1) {
      // alone: its failure rolls the whole transaction back
      batch.get(0).runOn(connection);
      return;
    }
    for (Pending<?> pending : batch) {
      Savepoint savepoint = connection.setSavepoint();
      try {
        pending.runOn(connection);
        connection.releaseSavepoint(savepoint);
      } catch (SQLException | RuntimeException e) {
        pending.fail(e);
        connection.rollback(savepoint);
      }
    }
  }

  /** One caller's work, its result or failure; written under the writer's lock. */
  private static final class Pending<T> {

    private final Jdbc.Work<T> work;
    private T result;
    private Throwable failure;

    /** Set last, after the result: a waiter that reads it true sees the result too. */
    private volatile boolean done;

    Pending(Jdbc.Work<T> work) {
      this.work = work;
    }

    void runOn(Connection connection) throws SQLException {
      result = work.run(connection);
    }

    void fail(Throwable error) {
      if (failure == null) {
        failure = error;
      }
      result = null;
    }

    T result() throws SQLException {
      if (failure instanceof SQLException e) {
        throw e;
      }
      if (failure instanceof RuntimeException e) {
        throw e;
      }
      if (failure instanceof Error e) {
        throw e;
      }
      return result;
    }
  }
}
