package dev.caravan.app;

import jakarta.servlet.http.HttpServletRequest;
import java.util.function.Predicate;
import org.apache.camel.component.platform.http.springboot.CamelRequestHandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;

/**
 * Whether Spring MVC routes a request to a platform-http consumer (a gateway, {@code /hello}, a
 * route of {@code caravan.routes-dir}): asks platform-http's own handler mapping, so every spelling
 * of a path that reaches a route is recognised as the route does. A method the route does not take
 * is not a match (Spring answers it 405).
 */
final class PlatformHttpRequests implements Predicate<HttpServletRequest> {

  private final CamelRequestHandlerMapping mapping;

  PlatformHttpRequests(CamelRequestHandlerMapping mapping) {
    this.mapping = mapping;
  }

  @Override
  public boolean test(HttpServletRequest request) {
    boolean parsed = ServletRequestPathUtils.hasParsedRequestPath(request);
    try {
      return mapping.getHandler(request) != null;
    } catch (Exception e) {
      // no method, media type or other condition of the route matches: Spring MVC answers it
      return false;
    } finally {
      if (!parsed) {
        // DispatcherServlet parses the path itself; leave the request as it came
        ServletRequestPathUtils.clearParsedRequestPath(request);
      }
    }
  }
}
