package dev.caravan.app;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;
import java.util.Set;
import org.springframework.http.HttpHeaders;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.util.matcher.RequestMatcher;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses unsafe requests (POST, PUT, PATCH, DELETE) that a browser sends on behalf of another
 * site, with or without an API token: a page elsewhere must not cancel or replay runs through a
 * user's browser (a "simple" cross-site POST needs no CORS preflight). A request is cross-site when
 * its {@code Sec-Fetch-Site} is present and neither {@code same-origin} nor {@code none}, or its
 * {@code Origin} is present and is neither the request's own origin nor that of {@code
 * caravan.api.public-url}. Clients other than browsers send neither header and are not affected;
 * nor are the gateways' paths, which check their own signatures, nor reads.
 */
final class CrossSiteRequestFilter extends OncePerRequestFilter {

  static final String REFUSED = "cross-site request refused";

  private static final Set<String> UNSAFE_METHODS = Set.of("POST", "PUT", "PATCH", "DELETE");
  private static final Set<String> SAME_SITE_FETCHES = Set.of("same-origin", "none");

  private final RequestMatcher openPaths;
  private final WebOrigin publicOrigin;
  private final AccessDeniedHandler refuse;

  /**
   * @param openPaths paths that are not checked (the gateways)
   * @param publicOrigin the origin of {@code caravan.api.public-url}, or null
   * @param refuse answers a refused request
   */
  CrossSiteRequestFilter(
      RequestMatcher openPaths, WebOrigin publicOrigin, AccessDeniedHandler refuse) {
    this.openPaths = openPaths;
    this.publicOrigin = publicOrigin;
    this.refuse = refuse;
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    if (UNSAFE_METHODS.contains(request.getMethod())
        && isCrossSite(request)
        && !openPaths.matches(request)) {
      refuse.handle(request, response, new AccessDeniedException(REFUSED));
      return;
    }
    chain.doFilter(request, response);
  }

  private boolean isCrossSite(HttpServletRequest request) {
    String site = request.getHeader("Sec-Fetch-Site");
    if (site != null && !SAME_SITE_FETCHES.contains(site.strip().toLowerCase(Locale.ROOT))) {
      return true;
    }
    String origin = request.getHeader(HttpHeaders.ORIGIN);
    if (origin == null) {
      return false;
    }
    WebOrigin from = WebOrigin.parse(origin);
    WebOrigin own =
        new WebOrigin(request.getScheme(), request.getServerName(), request.getServerPort());
    return from == null || !(from.equals(own) || from.equals(publicOrigin));
  }
}
