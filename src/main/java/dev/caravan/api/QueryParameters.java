package dev.caravan.api;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.MethodParameter;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Refuses a request to {@code /api/**} whose query names a parameter that its handler method does
 * not take ({@code ?pipline=x}): a misspelt filter would otherwise be ignored and the answer look
 * right. The accepted names are the handler's {@code @RequestParam}s, so a new parameter is
 * accepted as soon as it is declared; a handler that takes a {@code Map} of parameters takes any.
 * Only the query string is read: a form body is never parsed here.
 */
class QueryParameters implements HandlerInterceptor {

  private static final ParameterNameDiscoverer NAMES = new DefaultParameterNameDiscoverer();

  @Override
  public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler)
      throws IOException {
    if (!(handler instanceof HandlerMethod method)) {
      return true;
    }
    Optional<Set<String>> accepted = accepted(method);
    if (accepted.isEmpty()) {
      return true;
    }
    Set<String> sent;
    try {
      sent = names(request.getQueryString());
    } catch (IllegalArgumentException e) {
      ApiErrors.write(
          response,
          400,
          "bad request",
          "the query is not URL-encoded: write '%' as %25 and spaces as %20");
      return false;
    }
    List<String> unknown = sent.stream().filter(name -> !accepted.get().contains(name)).toList();
    if (unknown.isEmpty()) {
      return true;
    }
    ApiErrors.write(
        response, 400, "unknown query parameter", detail(request, unknown, accepted.get()));
    return false;
  }

  private static String detail(
      HttpServletRequest request, List<String> unknown, Set<String> accepted) {
    StringBuilder detail = new StringBuilder(request.getMethod()).append(' ');
    detail.append(request.getRequestURI()).append(" takes no query parameter ");
    List<String> named = new ArrayList<>();
    for (String name : unknown) {
      String quoted = "'" + name + "'";
      named.add(
          closest(name, accepted)
              .map(close -> quoted + " (did you mean '" + close + "'?)")
              .orElse(quoted));
    }
    detail.append(String.join(", ", named));
    if (accepted.isEmpty()) {
      detail
          .append("; it takes no query parameters: remove ")
          .append(unknown.size() == 1 ? "it" : "them");
    } else {
      detail.append("; accepted: ").append(String.join(", ", accepted));
    }
    return detail.toString();
  }

  /** The names of the handler's query parameters, in the order declared; empty for any name. */
  static Optional<Set<String>> accepted(HandlerMethod method) {
    Set<String> names = new LinkedHashSet<>();
    for (MethodParameter parameter : method.getMethodParameters()) {
      RequestParam param = parameter.getParameterAnnotation(RequestParam.class);
      if (param == null) {
        continue;
      }
      if (Map.class.isAssignableFrom(parameter.getParameterType()) && param.name().isEmpty()) {
        return Optional.empty();
      }
      String name = param.name().isEmpty() ? nameOf(parameter) : param.name();
      if (name == null) {
        // compiled without -parameters: the names cannot be known, so none is refused
        return Optional.empty();
      }
      names.add(name);
    }
    return Optional.of(names);
  }

  /** The parameter's name in the code (Spring discovers it only once it resolves an argument). */
  private static String nameOf(MethodParameter parameter) {
    MethodParameter named = parameter.clone();
    named.initParameterNameDiscovery(NAMES);
    return named.getParameterName();
  }

  /**
   * The parameter names of a query string, decoded; IllegalArgumentException if it is not
   * URL-encoded.
   */
  static Set<String> names(String query) {
    Set<String> names = new LinkedHashSet<>();
    if (query == null || query.isEmpty()) {
      return names;
    }
    for (String pair : query.split("&")) {
      int equals = pair.indexOf('=');
      String name =
          URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
      if (equals >= 0) {
        // Tomcat drops a parameter it cannot decode; refuse it instead of ignoring it
        URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
      }
      if (!name.isEmpty()) {
        names.add(name);
      }
    }
    return names;
  }

  /** The accepted name closest to a misspelt one, if one is close enough to be meant. */
  static Optional<String> closest(String name, Set<String> accepted) {
    return accepted.stream()
        .filter(
            candidate ->
                distance(name.toLowerCase(), candidate.toLowerCase())
                    <= Math.max(1, candidate.length() / 3))
        .min(
            Comparator.comparingInt(
                candidate -> distance(name.toLowerCase(), candidate.toLowerCase())));
  }

  /** Levenshtein distance. */
  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
