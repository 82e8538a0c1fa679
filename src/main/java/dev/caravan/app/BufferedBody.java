package dev.caravan.app;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request body read without holding a thread: Tomcat calls {@link #onDataAvailable} when bytes
 * have arrived, this keeps them (within the size limit and the shared {@link BodyBudget}), and once
 * the whole body is there it dispatches the request again, now with the body in memory. The
 * deadline of the asynchronous cycle is the body's: a body still incomplete then gets 408.
 *
 * <p>As an {@link AsyncListener} it follows the request through every later asynchronous cycle
 * (platform-http answers asynchronously) and gives its bytes back to the budget when the request
 * ends, however it ends.
 */
final class BufferedBody implements ReadListener, AsyncListener {

  private static final Logger LOG = LoggerFactory.getLogger(BufferedBody.class);

  private enum State {
    READING,
    READ,
    REFUSED
  }

  private final AsyncContext async;
  private final ServletInputStream in;
  private final HttpServletResponse response;
  private final BodyLimits limits;
  private final boolean form;
  private final byte[] chunk = new byte[8192];
  private ByteArrayOutputStream buffer;
  private byte[] bytes;
  private long reserved;
  private State state = State.READING;

  BufferedBody(
      AsyncContext async,
      ServletInputStream in,
      HttpServletResponse response,
      BodyLimits limits,
      boolean form,
      long declaredLength) {
    this.async = async;
    this.in = in;
    this.response = response;
    this.limits = limits;
    this.form = form;
    this.buffer = new ByteArrayOutputStream((int) Math.min(Math.max(declaredLength, 256), 65536));
  }

  /** The whole body, once read. */
  synchronized byte[] bytes() {
    return bytes;
  }

  @Override
  public synchronized void onDataAvailable() throws IOException {
    while (state == State.READING && in.isReady()) {
      int n = in.read(chunk);
      if (n < 0) {
        return;
      }
      if (buffer.size() + (long) n > limits.maxBodyBytes()) {
        refuse(
            413,
            "payload too large",
            "the body must not exceed " + limits.maxBodyBytes() + " bytes",
            false);
        return;
      }
      if (!limits.budget().reserve(n)) {
        refuse(
            503,
            "too many uploads",
            "Caravan holds as many request bodies as it may; send again after the Retry-After"
                + " seconds",
            true);
        return;
      }
      reserved += n;
      buffer.write(chunk, 0, n);
    }
  }

  @Override
  public synchronized void onAllDataRead() throws IOException {
    if (state != State.READING) {
      return;
    }
    byte[] body = buffer.toByteArray();
    buffer = null;
    if (form && !FormBodies.parses(body)) {
      refuse(
          400,
          "bad request",
          "a form-encoded body must be key=value pairs with valid %-escapes; send other text as"
              + " text/plain",
          false);
      return;
    }
    bytes = body;
    state = State.READ;
    async.dispatch();
  }

  @Override
  public synchronized void onError(Throwable failure) {
    if (state != State.READING) {
      return;
    }
    // a malformed chunked body, or the client went away: an answer is only read in the first case
    LOG.debug("Request body could not be read: {}", failure.toString());
    refuse(400, "bad request", "the request body could not be read", false);
  }

  @Override
  public synchronized void onTimeout(AsyncEvent event) {
    if (state != State.READING) {
      return; // a later cycle's (platform-http's own) timeout; Spring MVC answers it
    }
    refuse(
        408,
        "request timeout",
        "the whole body must arrive within " + limits.timeout().toSeconds() + " seconds",
        false);
  }

  @Override
  public void onError(AsyncEvent event) {
    onError(event.getThrowable());
    release();
  }

  @Override
  public void onComplete(AsyncEvent event) {
    release();
  }

  @Override
  public void onStartAsync(AsyncEvent event) {
    // listeners are dropped when a new cycle starts: follow the request into it
    event.getAsyncContext().addListener(this);
  }

  /** Gives the body's bytes back to the budget (once). */
  synchronized void release() {
    limits.budget().release(reserved);
    reserved = 0;
  }

  private void refuse(int status, String error, String detail, boolean retryLater) {
    state = State.REFUSED;
    buffer = null;
    release();
    try {
      if (retryLater) {
        response.setHeader("Retry-After", String.valueOf(limits.retryAfterSeconds()));
      }
      // the rest of the body is not read: the connection cannot carry another request
      JsonErrors.write(response, status, error, detail, true);
    } catch (IOException | IllegalStateException e) {
      LOG.debug("Could not answer {}: {}", status, e.toString());
    }
    async.complete();
  }
}
