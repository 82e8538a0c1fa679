package dev.caravan.routes;

import java.util.List;
import org.apache.camel.FailedToCreateRouteException;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;

/**
 * Finds the line of the node a route failed to create at. Camel names the node only in the text of
 * its {@link FailedToCreateRouteException} ({@code at: >>> to[kjob:x?scirpt=true] <<<}); the YAML
 * DSL gives every node its line, so the node whose text that is gives the line. Used by the extra
 * routes directory and by {@code caravan lint}.
 */
public final class FailedNodes {

  private static final String BEFORE = " at: >>> ";
  private static final String AFTER = " <<< in route";

  private FailedNodes() {}

  /** The line of the failing node in the file of these builders, or -1 when not known for sure. */
  public static int line(List<RouteBuilder> builders, Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof FailedToCreateRouteException failed && failed.getMessage() != null) {
        String message = failed.getMessage();
        int start = message.indexOf(BEFORE);
        int end = message.indexOf(AFTER, start + 1);
        if (start < 0 || end < 0) {
          return -1;
        }
        String node = message.substring(start + BEFORE.length(), end);
        for (RouteBuilder builder : builders) {
          for (RouteDefinition route : builder.getRouteCollection().getRoutes()) {
            if (failed.getRouteId().equals(route.getRouteId())) {
              return lineOf(route.getOutputs(), node);
            }
          }
        }
        return -1;
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return -1;
  }

  /** The line of the only node with this text, or -1 when none or several have it. */
  private static int lineOf(List<ProcessorDefinition<?>> nodes, String text) {
    int found = -1;
    for (ProcessorDefinition<?> node : nodes) {
      int line =
          text.equals(node.toString()) ? node.getLineNumber() : lineOf(node.getOutputs(), text);
      if (line >= 0) {
        if (found >= 0 && found != line) {
          return -1;
        }
        found = line;
      }
    }
    return found;
  }
}
