package dev.caravan.app;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Set;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/** The dashboard's part of the security chain: its pages, what is open, and when CSRF applies. */
final class DashboardSecurity {

  /**
   * Scripts, styles and connections from this origin only, no inline script or style, not framed: a
   * run's log or an event's data shown on a page cannot run as code there.
   */
  static final String POLICY =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
          + " frame-ancestors 'none'";

  /**
   * The pages, which send a browser without a session to the login. {@code GET /events/*} is a page
   * although the gateways' {@code /events/**} is open: the gateways take POST (and Trello's HEAD),
   * never GET.
   */
  static final RequestMatcher PAGES =
      new OrRequestMatcher(
          get("/"),
          get("/runs"),
          get("/runs/*"),
          get("/events"),
          get("/events/*"),
          get("/pipelines"),
          get("/pipelines/*"));

  static final RequestMatcher LOGIN =
      new OrRequestMatcher(
          PathPatternRequestMatcher.withDefaults().matcher("/login"),
          PathPatternRequestMatcher.withDefaults().matcher("/logout"));

  /** The login, the session probe and the pages' files (scripts and styles, no data). */
  static final RequestMatcher OPEN =
      new OrRequestMatcher(LOGIN, get("/session"), get("/ui/**"), get("/favicon.ico"));

  private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

  private DashboardSecurity() {}

  /**
   * An unsafe request that a dashboard session authenticates (it sends a valid session cookie and
   * no token of its own): it must carry the session's CSRF token.
   */
  static boolean sessionWrite(HttpServletRequest request) {
    return !SAFE_METHODS.contains(request.getMethod())
        && request.getRequestedSessionId() != null
        && request.isRequestedSessionIdValid()
        && request.getHeader(HttpHeaders.AUTHORIZATION) == null;
  }

  private static RequestMatcher get(String pattern) {
    return PathPatternRequestMatcher.withDefaults().matcher(HttpMethod.GET, pattern);
  }
}
