package dev.caravan.cli;

import dev.caravan.event.EventComponent;
import dev.caravan.kjob.KjobComponent;
import dev.caravan.routes.FailedNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.camel.FailedToCreateRouteException;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;

/**
 * Loads route files as the app does at route start, offline: each file in a plain CamelContext of
 * its own (no Spring, no server) with Caravan's real {@code event} component (on an in-memory
 * store) and {@code kjob} component (the local executor; no step runs), its routes created but not
 * started. Every problem is one {@link Problem} with the file and line where Camel or Caravan knows
 * it; a file that fails is loaded again without the routes that failed, until the rest load, so
 * that one broken route hides no other.
 */
final class RouteLinter implements AutoCloseable {

  private static final Pattern YAML_LINE = Pattern.compile("line (\\d+)");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^${}:]+)(?::([^${}]*))?}");

  /** One problem: where, and what to do about it. */
  record Problem(Path file, int line, String message) {
    @Override
    public String toString() {
      return file + (line > 0 ? ":" + line : "") + ": " + message;
    }
  }

  private final Map<String, String> environment;
  private final Properties properties;
  private final String jdbcUrl =
      "jdbc:h2:mem:caravan-lint-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1";
  private final Map<String, String> routeIds = new LinkedHashMap<>();
  private int routes;

  RouteLinter(Map<String, String> environment) {
    this.environment = environment;
    this.properties = appProperties();
  }

  /** The routes that loaded, over every file linted so far. */
  int routes() {
    return routes;
  }

  List<Problem> lint(Path file) {
    List<Problem> problems = new ArrayList<>();
    byte[] content;
    try {
      content = Files.readAllBytes(file);
    } catch (IOException e) {
      problems.add(new Problem(file, 0, "cannot read the file: " + e.getMessage()));
      return problems;
    }
    Set<String> failed = new HashSet<>();
    boolean idsChecked = false;
    while (true) {
      DefaultCamelContext camel = context();
      try {
        Resource resource = ResourceHelper.fromBytes("file:" + file, content);
        List<RouteBuilder> builders = new ArrayList<>();
        try {
          for (RoutesBuilder builder :
              PluginHelper.getRoutesLoader(camel).findRoutesBuilders(List.of(resource))) {
            RouteBuilder routeBuilder = (RouteBuilder) builder;
            routeBuilder.configureRoutes(camel);
            builders.add(routeBuilder);
          }
        } catch (Exception e) {
          problems.add(new Problem(file, yamlLine(e), rootMessage(e)));
          return problems;
        }
        if (!idsChecked) {
          checkIds(file, builders, problems, failed);
          idsChecked = true;
        }
        int loaded = 0;
        for (RouteBuilder builder : builders) {
          builder.getRouteCollection().getRoutes().removeIf(route -> failed.contains(key(route)));
          loaded += builder.getRouteCollection().getRoutes().size();
        }
        try {
          for (RouteBuilder builder : builders) {
            camel.addRoutes(builder);
          }
          camel.start();
          routes += loaded;
          return problems;
        } catch (Exception e) {
          String routeId = failedRouteId(e);
          int line = FailedNodes.line(builders, e);
          if (line < 0) {
            line = routeLine(builders, routeId);
          }
          problems.add(
              new Problem(
                  file,
                  line,
                  rootMessage(e) + (routeId == null ? "" : " (route " + routeId + ")")));
          if (routeId == null || !failed.add(routeId)) {
            return problems;
          }
        }
      } finally {
        camel.stop();
      }
    }
  }

  /** Routes without an id and ids used twice (in a file, or by an earlier file). */
  private void checkIds(
      Path file, List<RouteBuilder> builders, List<Problem> problems, Set<String> failed) {
    for (RouteBuilder builder : builders) {
      for (RouteDefinition route : builder.getRouteCollection().getRoutes()) {
        int line = line(route);
        if (!route.hasCustomIdAssigned()) {
          problems.add(
              new Problem(
                  file, line, "the route has no id (a pipeline is identified by its route id)"));
          failed.add(key(route));
          continue;
        }
        String where = file + ":" + line;
        String other = routeIds.putIfAbsent(route.getRouteId(), where);
        if (other != null) {
          problems.add(
              new Problem(
                  file, line, "route id '" + route.getRouteId() + "' is already used at " + other));
          failed.add(key(route));
        }
      }
    }
  }

  private static int routeLine(List<RouteBuilder> builders, String routeId) {
    for (RouteBuilder builder : builders) {
      for (RouteDefinition route : builder.getRouteCollection().getRoutes()) {
        if (route.getRouteId() != null && route.getRouteId().equals(routeId)) {
          return line(route);
        }
      }
    }
    return 0;
  }

  private static String key(RouteDefinition route) {
    return route.hasCustomIdAssigned() ? route.getRouteId() : "line " + line(route);
  }

  private static int line(RouteDefinition route) {
    int line = route.getLineNumber();
    if (line <= 0 && route.getInput() != null) {
      line = route.getInput().getLineNumber();
    }
    return line;
  }

  private DefaultCamelContext context() {
    DefaultCamelContext camel = new DefaultCamelContext();
    camel.getPropertiesComponent().setInitialProperties(properties);
    camel.setAutoStartup(false);
    camel.getRegistry().bind(OfflineHttpEngine.NAME, new OfflineHttpEngine());
    EventComponent events = new EventComponent();
    events.setJdbcUrl(jdbcUrl);
    camel.addComponent("event", events);
    KjobComponent kjob = new KjobComponent();
    kjob.setExecutor("local");
    camel.addComponent("kjob", kjob);
    return camel;
  }

  /**
   * The app's settings (config/application.properties), each {@code ${NAME:default}} resolved as
   * Spring would: from the environment, else another setting, else its default.
   */
  private Properties appProperties() {
    Properties raw = new Properties();
    try (var in = RouteLinter.class.getResourceAsStream("/config/application.properties")) {
      if (in != null) {
        raw.load(in);
      }
    } catch (IOException e) {
      // linted without the app's settings: placeholders of route files then fail by name
    }
    Properties resolved = new Properties();
    for (String name : raw.stringPropertyNames()) {
      resolved.setProperty(name, resolve(raw.getProperty(name), raw));
    }
    return resolved;
  }

  private String resolve(String value, Properties raw) {
    String current = value;
    for (int round = 0; round < 10; round++) {
      Matcher matcher = PLACEHOLDER.matcher(current);
      StringBuilder next = new StringBuilder();
      boolean found = false;
      while (matcher.find()) {
        found = true;
        String name = matcher.group(1);
        String replacement = environment.get(name);
        if (replacement == null) {
          replacement = raw.getProperty(name);
        }
        if (replacement == null) {
          replacement = matcher.group(2) == null ? "" : matcher.group(2);
        }
        matcher.appendReplacement(next, Matcher.quoteReplacement(replacement));
      }
      matcher.appendTail(next);
      current = next.toString();
      if (!found) {
        break;
      }
    }
    return current;
  }

  private static String failedRouteId(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof FailedToCreateRouteException failed) {
        return failed.getRouteId();
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return null;
  }

  private static int yamlLine(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause.getMessage() != null) {
        Matcher matcher = YAML_LINE.matcher(cause.getMessage());
        if (matcher.find()) {
          return Integer.parseInt(matcher.group(1));
        }
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return 0;
  }

  /** The message of the root cause: the part a route author acts on, on one line. */
  private static String rootMessage(Throwable error) {
    Throwable root = error;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.toString() : root.getMessage();
    // the YAML parser's position and caret: the problem's file and line say it already
    message = message.replaceAll(" in file:\\S+, line \\d+, column \\d+:\\s*", ": ");
    message = message.replaceAll("\\s+\\^", "").replaceAll(":\\s*$", "");
    return message.replaceAll("\\s+", " ").trim();
  }

  @Override
  public void close() {
    try (Connection connection = DriverManager.getConnection(jdbcUrl, "sa", "")) {
      connection.createStatement().execute("SHUTDOWN");
    } catch (SQLException e) {
      // the in-memory store goes with the JVM anyway
    }
  }
}
