package dev.caravan.routes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.caravan.LogCapture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Extra routes from {@code caravan.routes-dir} on a plain CamelContext: the service comes from
 * {@link RoutesDirectoryPlugin} (no wiring in the test), and changes arrive through the file
 * watcher (the periodic rescan is 30 s, far beyond the waits here).
 */
class RoutesDirectoryTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;

  private CamelContext context;
  private ProducerTemplate template;
  private ListAppender<ILoggingEvent> log;

  @BeforeEach
  void captureLog() {
    log = LogCapture.start(RoutesDirectory.class);
  }

  @AfterEach
  void stop() {
    LogCapture.stop(RoutesDirectory.class, log);
    if (context != null) {
      context.stop();
    }
  }

  /** A route {@code direct:<id>} with one step, given as a YAML flow mapping. */
  private static String routeWith(String id, String step) {
    return """
        - route:
            id: %s
            from:
              uri: direct:%s
              steps:
                - %s
        """
        .formatted(id, id, step);
  }

  private static String route(String id, String answer) {
    return routeWith(id, "{setBody: {constant: " + answer + "}}");
  }

  /** The 1-based line of the file that holds the text. */
  private int lineOf(String file, String text) throws Exception {
    List<String> lines = Files.readAllLines(dir.resolve(file));
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(text)) {
        return i + 1;
      }
    }
    throw new AssertionError(text + " not in " + file);
  }

  private void write(String file, String yaml) throws Exception {
    // write beside and move in, as editors and ConfigMap updates do: one complete change
    Path temp = dir.resolve("." + file + ".tmp");
    Files.writeString(temp, yaml);
    Files.move(
        temp,
        dir.resolve(file),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  private void start() throws Exception {
    context = new DefaultCamelContext();
    Properties properties = new Properties();
    properties.setProperty(RoutesDirectory.PROPERTY, dir.toString());
    context.getPropertiesComponent().setInitialProperties(properties);
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:builtin").routeId("builtin").setBody(constant("built in"));
          }
        });
    context.start();
    template = context.createProducerTemplate();
  }

  private String call(String id) {
    return template.requestBody("direct:" + id, "", String.class);
  }

  private RoutesDirectory routes() {
    return context.hasService(RoutesDirectory.class);
  }

  private RoutesDirectory.FileStatus status(String file) {
    return routes().files().stream().filter(f -> f.file().equals(file)).findFirst().orElse(null);
  }

  private List<String> warnings() {
    return LogCapture.events(log).stream()
        .filter(e -> e.getLevel() == Level.WARN)
        .map(ILoggingEvent::getFormattedMessage)
        .toList();
  }

  @Test
  void routesInTheDirectoryRunOnceTheContextHasStarted() throws Exception {
    write("a.yaml", route("a", "a1"));
    write("b.yaml", route("b", "b1"));
    Files.writeString(dir.resolve("notes.txt"), "not a route file");

    start();

    assertThat(call("a")).isEqualTo("a1");
    assertThat(call("b")).isEqualTo("b1");
    assertThat(call("builtin")).isEqualTo("built in");
    assertThat(routes().getDirectory()).isEqualTo(dir.toAbsolutePath().normalize());
    assertThat(routes().files())
        .extracting(f -> f.file() + ":" + f.routeIds() + ":" + f.loaded())
        .containsExactly("a.yaml:[a]:true", "b.yaml:[b]:true");
    assertThat(context.getRoute("a").getSourceLocationShort()).contains("a.yaml");
  }

  @Test
  void addingChangingAndRemovingAFileAddsUpdatesAndRemovesItsRoutes() throws Exception {
    start();
    assertThat(routes().files()).isEmpty();

    write("c.yaml", route("c", "c1"));
    await().atMost(WAIT).until(() -> context.getRoute("c") != null);
    assertThat(call("c")).isEqualTo("c1");

    // a changed file: changed route, plus a second route in the same file
    write("c.yaml", route("c", "c2") + route("c-extra", "extra"));
    // while the file's routes are swapped, a call may meet the old route stopping (rejected)
    await()
        .atMost(WAIT)
        .ignoreExceptionsInstanceOf(CamelExecutionException.class)
        .until(() -> "c2".equals(call("c")));
    assertThat(call("c-extra")).isEqualTo("extra");

    // a route dropped from the file is removed with it
    write("c.yaml", route("c", "c3"));
    await().atMost(WAIT).until(() -> context.getRoute("c-extra") == null);
    await()
        .atMost(WAIT)
        .ignoreExceptionsInstanceOf(CamelExecutionException.class)
        .until(() -> "c3".equals(call("c")));

    Files.delete(dir.resolve("c.yaml"));
    await().atMost(WAIT).until(() -> context.getRoute("c") == null);
    assertThat(routes().files()).isEmpty();
    assertThat(call("builtin")).isEqualTo("built in");
  }

  @Test
  void aBrokenFileIsReportedAndTheOtherRoutesKeepRunning() throws Exception {
    write("a.yaml", route("a", "a1"));
    // a broken file at start does not fail the start
    write("broken.yaml", routeWith("broken", "{nonsense: {}}"));

    start();

    assertThat(status("broken.yaml").loaded()).isFalse();
    assertThat(status("broken.yaml").error()).contains("nonsense");
    assertThat(status("broken.yaml").routeIds()).isEmpty();
    assertThat(routes().isHealthy()).isFalse();
    assertThat(warnings()).anySatisfy(w -> assertThat(w).contains("broken.yaml", "nonsense"));
    assertThat(context.getRoute("broken")).isNull();
    assertThat(call("a")).isEqualTo("a1");
    assertThat(call("builtin")).isEqualTo("built in");

    // a second, different breakage: a step that fails when its route starts
    write("broken.yaml", routeWith("broken", "{to: kjob:no-script}"));
    await().atMost(WAIT).until(() -> status("broken.yaml").error().contains("script"));
    assertThat(context.getRoute("broken")).isNull();
    assertThat(call("a")).isEqualTo("a1");

    // a misspelt option: the short kjob message comes first, with the route; the file is logged
    write("broken.yaml", routeWith("broken", "{to: 'kjob:typo?scirpt=true'}"));
    await().atMost(WAIT).until(() -> status("broken.yaml").error().contains("scirpt"));
    assertThat(status("broken.yaml").error())
        .startsWith(
            "kjob: unknown option 'scirpt' (did you mean 'script'?) in broken.yaml:"
                + lineOf("broken.yaml", "scirpt")
                + ", route broken");
    assertThat(warnings())
        .anySatisfy(w -> assertThat(w).contains("broken.yaml", "kjob: unknown option 'scirpt'"));

    // fixed: it loads, and the directory is healthy again
    write("broken.yaml", route("broken", "fixed"));
    await().atMost(WAIT).until(() -> status("broken.yaml").loaded());
    assertThat(call("broken")).isEqualTo("fixed");
    assertThat(routes().isHealthy()).isTrue();
  }

  @Test
  void aFileChangedIntoABrokenOneKeepsItsPreviousVersionRunning() throws Exception {
    write("a.yaml", route("a", "a1"));
    write("b.yaml", route("b", "b1"));
    start();

    // broken YAML: nothing is touched
    write("a.yaml", "- route:\n    id: a\n    from: [unclosed\n");
    await().atMost(WAIT).until(() -> !status("a.yaml").loaded());
    assertThat(status("a.yaml").routeIds()).containsExactly("a");
    assertThat(call("a")).isEqualTo("a1");

    // an endpoint that fails when the route starts: the route was replaced, then restored
    write("a.yaml", routeWith("a", "{to: \"kjob:bad?executor=sideways\"}"));
    await().atMost(WAIT).until(() -> status("a.yaml").error().contains("sideways"));
    assertThat(call("a")).isEqualTo("a1");
    assertThat(call("b")).isEqualTo("b1");
    assertThat(warnings())
        .anySatisfy(w -> assertThat(w).contains("a.yaml", "previous version keeps running"));
  }

  @Test
  void routeIdsMustBeGivenAndMustNotTakeOverAnotherRoute() throws Exception {
    write("a.yaml", route("a", "a1"));
    write("b-takes-a.yaml", route("a", "stolen"));
    write("c-takes-builtin.yaml", route("builtin", "stolen"));
    write(
        "d-no-id.yaml",
        """
        - route:
            from:
              uri: direct:d
              steps:
                - setBody:
                    constant: d
        """);

    start();

    assertThat(status("b-takes-a.yaml").error())
        .contains("route id 'a' is already used by another route", "a.yaml");
    assertThat(status("c-takes-builtin.yaml").error())
        .contains("route id 'builtin' is already used");
    assertThat(status("d-no-id.yaml").error()).contains("every route needs an id");
    assertThat(call("a")).isEqualTo("a1");
    assertThat(call("builtin")).isEqualTo("built in");

    // once a.yaml is gone, the file that wanted its id gets it
    Files.delete(dir.resolve("a.yaml"));
    await().atMost(WAIT).until(() -> status("b-takes-a.yaml").loaded());
    assertThat(call("a")).isEqualTo("stolen");
  }

  @Test
  void aDirectoryThatDoesNotExistFailsTheStart() {
    context = new DefaultCamelContext();
    Properties properties = new Properties();
    properties.setProperty(RoutesDirectory.PROPERTY, dir.resolve("missing").toString());
    context.getPropertiesComponent().setInitialProperties(properties);

    assertThatThrownBy(context::start)
        .hasStackTraceContaining("caravan.routes-dir")
        .hasStackTraceContaining("is not a directory");
  }

  @Test
  void withoutTheSettingNothingIsWatched() throws Exception {
    context = new DefaultCamelContext();
    context.start();

    assertThat(context.hasService(RoutesDirectory.class).getDirectory()).isNull();
    assertThat(context.hasService(RoutesDirectory.class).files()).isEmpty();
  }
}
