package dev.caravan.api;

import dev.caravan.store.StoreException;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletRequestWrapper;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One client following a log or a stream: an asynchronous response written with non-blocking writes
 * (never blocking the thread that polls for every follower), fed by its {@link Source} (a step's
 * stored log chunks, a run's, the change feed). Ends when the source has nothing more and
 * everything was written, or when the client is gone. It is driven by the followers' scheduler
 * thread only; what the container says (possibly while holding locks of its own) merely sets a flag
 * or asks for another look, so that no container thread ever waits for this follower's lock.
 */
final class LogFollower {

  /** Largest single write, so that a slow reader leaves little in the container's buffer. */
  private static final int WRITE_SLICE = 16 * 1024;

  /**
   * What a follower writes; asked on the followers' scheduler thread only, and only once what it
   * gave before was written (so that a slow client holds back only itself, with little in memory).
   */
  interface Source {
    /**
     * The next text to write: {@code ""} when there is nothing new now, {@code null} when nothing
     * more will come (the response ends). May throw when the store fails: asked again at the next
     * look.
     */
    String next();

    /**
     * What keeps a quiet connection open through proxies (an event stream's comment), or {@code
     * null}.
     */
    default String heartbeat() {
      return null;
    }
  }

  private final Source source;
  private final long heartbeatNanos;
  private final AsyncContext async;
  private final ServletOutputStream out;
  private final ServletInputStream in;
  private final Consumer<LogFollower> onEnd;
  private final Consumer<LogFollower> wake;
  private final AtomicBoolean lookPending = new AtomicBoolean();
  private volatile boolean gone;
  private long lastWrite = System.nanoTime();
  private byte[] pending = new byte[0];
  private int pendingFrom;
  private boolean ended;

  private LogFollower(
      Source source,
      Duration heartbeat,
      AsyncContext async,
      ServletOutputStream out,
      ServletInputStream in,
      Consumer<LogFollower> onEnd,
      Consumer<LogFollower> wake) {
    this.source = source;
    this.heartbeatNanos = heartbeat.toNanos();
    this.async = async;
    this.out = out;
    this.in = in;
    this.onEnd = onEnd;
    this.wake = wake;
  }

  /**
   * Starts following on an asynchronous request whose response headers are set.
   *
   * @param heartbeat how long the connection may stay quiet before the source's heartbeat is sent
   * @param onEnd told once, when the follower ends for whatever reason
   * @param wake asks the scheduler for a look at this follower soon (the connection can take more,
   *     or is over)
   */
  static LogFollower start(
      Source source,
      Duration heartbeat,
      AsyncContext async,
      Consumer<LogFollower> onEnd,
      Consumer<LogFollower> wake)
      throws IOException {
    LogFollower follower =
        new LogFollower(
            source,
            heartbeat,
            async,
            async.getResponse().getOutputStream(),
            containerRequest(async.getRequest()).getInputStream(),
            onEnd,
            wake);
    async.addListener(follower.new Events());
    follower.out.setWriteListener(follower.new Writes());
    follower.in.setReadListener(follower.new Reads());
    return follower;
  }

  /**
   * The container's own request under any filter's wrappers: only its input stream can tell,
   * without blocking, that the client closed the connection (a filter's stream over the body would
   * not know; the body of a follow request is empty anyway).
   */
  private static ServletRequest containerRequest(ServletRequest request) {
    ServletRequest inner = request;
    while (inner instanceof ServletRequestWrapper wrapper) {
      inner = wrapper.getRequest();
    }
    return inner;
  }

  /**
   * Claims the one look at this follower that may wait in the scheduler's queue.
   *
   * @return false when a look is queued already
   */
  boolean claimLook() {
    return lookPending.compareAndSet(false, true);
  }

  /** The queued look is starting. */
  void lookStarts() {
    lookPending.set(false);
  }

  /**
   * Writes what is new: asks the source for more once everything it gave before was written, and
   * ends the response once the source has nothing more.
   */
  synchronized void poll() {
    if (ended) {
      return;
    }
    if (gone || clientLeft()) {
      end();
      return;
    }
    try {
      if (!write()) {
        return;
      }
      if (!async.getResponse().isCommitted() && out.isReady()) {
        // the status and headers go out at once, even before the first line
        out.flush();
      }
      String text = next();
      if (text == null) {
        end();
        return;
      }
      if (text.isEmpty()) {
        String heartbeat = source.heartbeat();
        if (heartbeat == null || System.nanoTime() - lastWrite < heartbeatNanos) {
          return;
        }
        text = heartbeat;
      }
      pending = text.getBytes(StandardCharsets.UTF_8);
      pendingFrom = 0;
      lastWrite = System.nanoTime();
      write();
    } catch (IOException | IllegalStateException e) {
      // the client is gone (a failed write), or the response was already completed
      end();
    }
  }

  /** What the source has now; nothing when it cannot tell now (the store fails, or is not open). */
  private String next() {
    try {
      return source.next();
    } catch (StoreException | IllegalStateException e) {
      // the store may answer at the next look
      return "";
    }
  }

  /**
   * Writes as much of what is pending as the connection takes without blocking.
   *
   * @return whether everything pending was written
   */
  private boolean write() throws IOException {
    while (pendingFrom < pending.length) {
      if (!out.isReady()) {
        return false;
      }
      int length = Math.min(WRITE_SLICE, pending.length - pendingFrom);
      out.write(pending, pendingFrom, length);
      pendingFrom += length;
    }
    if (out.isReady()) {
      out.flush();
    }
    return true;
  }

  /**
   * Whether the client closed its end. A follow request has no body, so anything readable on its
   * connection is the end of the stream (or bytes no follower waits for); in non-blocking read mode
   * Tomcat answers {@code available()} with a read that does not block, and reports such an end as
   * one byte available. Without this, a client that left would only be noticed at the next write,
   * which a quiet step may not cause for a long time.
   */
  private boolean clientLeft() {
    try {
      return in.available() > 0;
    } catch (IOException | IllegalStateException e) {
      return true;
    }
  }

  /** Ends the response (if still open) and tells the owner; once. */
  synchronized void end() {
    if (ended) {
      return;
    }
    ended = true;
    pending = new byte[0];
    try {
      async.complete();
    } catch (IllegalStateException alreadyCompleted) {
      // the container ended it first (error, timeout)
    }
    onEnd.accept(this);
  }

  /** The response is over (completed, timed out or failed): the next look ends the follower. */
  private void gone() {
    gone = true;
    wake.accept(this);
  }

  /** What the container says about the asynchronous request. */
  private final class Events implements AsyncListener {
    @Override
    public void onComplete(AsyncEvent event) {
      gone();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      gone();
    }

    @Override
    public void onError(AsyncEvent event) {
      gone();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {}
  }

  /** Non-blocking reads, only so that {@link #clientLeft} may look without blocking. */
  private final class Reads implements ReadListener {
    @Override
    public void onDataAvailable() {
      wake.accept(LogFollower.this);
    }

    @Override
    public void onAllDataRead() {}

    @Override
    public void onError(Throwable error) {
      gone();
    }
  }

  /** What the container says about the connection's readiness for writes. */
  private final class Writes implements WriteListener {
    @Override
    public void onWritePossible() {
      wake.accept(LogFollower.this);
    }

    @Override
    public void onError(Throwable error) {
      gone();
    }
  }
}
