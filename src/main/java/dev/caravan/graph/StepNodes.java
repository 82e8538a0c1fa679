package dev.caravan.graph;

import dev.caravan.kjob.KjobComponent;
import dev.caravan.kjob.KjobConfiguration;
import dev.caravan.kjob.KjobEndpoint;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.util.StringHelper;

/**
 * Step nodes: a {@code kjob} endpoint's step name, image and script excerpt, read from the endpoint
 * Camel resolves for the route's URI (so RAW(), property placeholders and YAML {@code parameters:}
 * mean what they mean to Camel). Environment values are never shown.
 */
final class StepNodes {

  /** Most characters of a script excerpt, the ellipsis included. */
  static final int EXCERPT_LENGTH = 80;

  private final CamelContext camelContext;

  StepNodes(CamelContext camelContext) {
    this.camelContext = camelContext;
  }

  /** Whether the URI names an endpoint of a kjob component. */
  boolean isStep(String uri) {
    String scheme = uri == null ? null : StringHelper.before(uri, ":");
    return scheme != null && camelContext.hasComponent(scheme) instanceof KjobComponent;
  }

  /**
   * The step node of a {@code to}: its endpoint when the route was given one, else the endpoint
   * Camel resolves for its URI (the one the route uses).
   */
  GraphNode node(Endpoint given, String uri) {
    Endpoint endpoint = given;
    if (endpoint == null) {
      try {
        endpoint = camelContext.getEndpoint(uri);
      } catch (RuntimeException e) {
        // a route that could not start: its step is shown by name only
        endpoint = null;
      }
    }
    return describe(endpoint, uri);
  }

  /** The step node of a {@code toD}: its URI is an expression, so it names its step only. */
  GraphNode dynamicNode(String uri) {
    return describe(null, uri);
  }

  private static GraphNode describe(Endpoint endpoint, String uri) {
    Map<String, Object> details = new LinkedHashMap<>();
    if (endpoint instanceof KjobEndpoint kjob) {
      KjobConfiguration configuration = kjob.getConfiguration();
      details.put("image", configuration.getImage());
      if (configuration.getScript() != null || configuration.getCommand() == null) {
        details.put("script", excerpt(configuration.getScript()));
      } else {
        String args = configuration.getArgs();
        details.put(
            "command", excerpt(configuration.getCommand() + (args == null ? "" : "," + args)));
      }
      String name = configuration.getStepName();
      return new GraphNode("step", name, name, details, List.of());
    }
    String path = StringHelper.after(uri, ":");
    String name = StringHelper.before(path, "?", path).replaceFirst("^//", "");
    details.put("image", null);
    details.put("script", null);
    return new GraphNode("step", name, name, details, List.of());
  }

  /**
   * The first line of a script that is not blank and not a {@code #!} line, at most {@link
   * #EXCERPT_LENGTH} characters (cut with an ellipsis).
   */
  static String excerpt(String script) {
    if (script == null) {
      return null;
    }
    for (String line : script.split("\\R")) {
      String trimmed = line.strip();
      if (!trimmed.isEmpty() && !trimmed.startsWith("#!")) {
        return trimmed.codePointCount(0, trimmed.length()) <= EXCERPT_LENGTH
            ? trimmed
            : trimmed.substring(0, trimmed.offsetByCodePoints(0, EXCERPT_LENGTH - 1)) + "…";
      }
    }
    return "";
  }
}
