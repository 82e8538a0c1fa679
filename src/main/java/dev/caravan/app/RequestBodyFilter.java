package dev.caravan.app;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.function.Predicate;

/**
 * Reads the bodies of requests to platform-http routes (the gateways) before Camel sees them,
 * without holding a thread while the client sends them: the body is read with Servlet non-blocking
 * I/O and the request is dispatched again with the body in memory, so that platform-http's worker
 * threads never wait for a slow client. Refuses, as JSON, a body over the size limit (413, from
 * {@code Content-Length} before reading, or one byte past the limit), a body that does not arrive
 * within the deadline (408), a body that does not fit into the shared budget of buffered bytes (503
 * with {@code Retry-After}), and a form-encoded body that platform-http could not parse (400).
 * These answers close the connection, as the rest of the body may not have been read.
 *
 * <p>Requests that Spring MVC does not route to a platform-http consumer (the REST API, actuator, a
 * method the route does not take) pass untouched: Spring answers them as before, a 405 before any
 * byte of the body is read.
 */
final class RequestBodyFilter implements Filter {

  /** Request attribute with the {@link BufferedBody} of a request this filter read. */
  static final String BODY = RequestBodyFilter.class.getName() + ".body";

  private final BodyLimits limits;
  private final Predicate<HttpServletRequest> toRoute;

  /**
   * @param toRoute whether a request goes to a platform-http route
   */
  RequestBodyFilter(BodyLimits limits, Predicate<HttpServletRequest> toRoute) {
    this.limits = limits;
    this.toRoute = toRoute;
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    HttpServletRequest request = (HttpServletRequest) req;
    HttpServletResponse response = (HttpServletResponse) res;
    if (request.getAttribute(BODY) instanceof BufferedBody body && body.bytes() != null) {
      // our own dispatch once the body was read, or platform-http's when its answer is ready
      try {
        chain.doFilter(new CachedBodyRequest(request, body.bytes()), response);
      } finally {
        if (!request.isAsyncStarted()) {
          body.release();
        }
      }
      return;
    }
    if (request.getDispatcherType() != DispatcherType.REQUEST
        || !hasBody(request)
        || !toRoute.test(request)) {
      chain.doFilter(request, response);
      return;
    }
    long declared = request.getContentLengthLong();
    if (declared > limits.maxBodyBytes()) {
      JsonErrors.write(
          response,
          413,
          "payload too large",
          "the body must not exceed " + limits.maxBodyBytes() + " bytes",
          true);
      return;
    }
    boolean form = FormBodies.isForm(request.getContentType());
    AsyncContext async = request.startAsync();
    async.setTimeout(limits.timeout().toMillis());
    BufferedBody body =
        new BufferedBody(async, request.getInputStream(), response, limits, form, declared);
    request.setAttribute(BODY, body);
    async.addListener(body);
    request.getInputStream().setReadListener(body);
  }

  private static boolean hasBody(HttpServletRequest request) {
    return request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
  }
}
