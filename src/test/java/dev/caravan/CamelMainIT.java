package dev.caravan;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same route files under camel-main, without Spring: {@link CamelMainScenario} runs in a class
 * loader built from this test's class path minus every Spring jar (Spring Framework, Spring Boot,
 * camel-spring-boot, camel-spring), so any use of Spring would fail with a missing class.
 * camel-main runs with its default property locations: the Spring app's settings live in {@code
 * config/application.properties}, which camel-main does not read, and the route files carry their
 * own {@code {{key:default}}} defaults.
 */
class CamelMainIT {

  @TempDir Path dir;

  /** This test's class path without Spring; the parent is the JDK's platform class loader. */
  static URLClassLoader withoutSpring() throws Exception {
    List<URL> urls = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      String path = entry.replace('\\', '/');
      if (path.contains("/org/springframework/")
          || path.contains("/org/apache/camel/springboot/")
          || path.contains("/org/apache/camel/camel-spring")) {
        continue;
      }
      urls.add(new File(entry).toURI().toURL());
    }
    return new URLClassLoader(
        "without-spring", urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
  }

  @Test
  @SuppressWarnings("unchecked")
  void onPushRunsItsLocalStepFromAGitHubWebhookUnderCamelMainWithoutSpring() throws Exception {
    Path extra = Files.createDirectories(dir.resolve("routes"));
    Files.writeString(
        extra.resolve("extra-hello.yaml"),
        """
        - route:
            id: extra-hello
            from:
              uri: direct:extra-hello
              steps:
                - to:
                    uri: kjob:extra-hello
                    parameters:
                      script: printf '%s' "$GREETING"
                      env.GREETING: "hello c++ & 100% from the routes directory"
        """);
    Map<String, String> settings = new TreeMap<>();
    settings.put("camel.main.name", "caravan-main-it");
    settings.put(
        "camel.main.routes-include-pattern",
        "classpath:routes/common/*.yaml,classpath:routes/gateways/github.yaml,"
            + "classpath:routes/examples/on-push.yaml");
    settings.put("camel.component.event.jdbc-url", "jdbc:h2:mem:camel-main-it;DB_CLOSE_DELAY=-1");
    settings.put("camel.component.event.poll-interval", "200");
    settings.put("camel.component.kjob.executor", "local");
    settings.put("camel.component.kjob.local-work-dir", dir.resolve("work").toString());
    settings.put("caravan.github.webhook-secret", "camel-main-secret");
    settings.put("caravan.routes-dir", extra.toString());
    // camel-main's platform-http engine (Vert.x), on loopback
    settings.put("camel.server.enabled", "true");
    settings.put("camel.server.host", "127.0.0.1");
    settings.put("camel.server.port", String.valueOf(RawHttp.freePort()));

    Map<String, Object> facts;
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    try (URLClassLoader loader = withoutSpring()) {
      assertThat(loader.getResource("application.properties"))
          .as(
              "camel-main reads classpath:application.properties; the Spring app's settings belong"
                  + " in config/application.properties (a stale target/classes copy? mvn clean)")
          .isNull();
      thread.setContextClassLoader(loader);
      Function<Map<String, String>, Map<String, Object>> scenario =
          (Function<Map<String, String>, Map<String, Object>>)
              loader.loadClass(CamelMainScenario.class.getName()).getConstructor().newInstance();
      facts = scenario.apply(settings);
    } finally {
      thread.setContextClassLoader(previous);
    }

    // no Spring anywhere: not on the class path, not behind the CamelContext
    assertThat(facts.get("springVisible")).isEqualTo(false);
    assertThat(facts.get("springBootVisible")).isEqualTo(false);
    assertThat(facts.get("mainClass")).isEqualTo("org.apache.camel.main.Main");
    assertThat((String) facts.get("contextClass"))
        .isEqualTo("org.apache.camel.impl.DefaultCamelContext");
    assertThat((String) facts.get("registryClass")).doesNotContainIgnoringCase("spring");
    // camel-main's own default properties location, and no Spring application.properties on it
    assertThat((List<String>) facts.get("propertiesLocations"))
        .containsExactly("classpath:application.properties;optional=true");
    assertThat(facts.get("applicationProperties")).isEqualTo("null");
    // the gateway's default comes from its route file ({{caravan.gateways.max-body-bytes:...}})
    assertThat(facts.get("maxBodyBytes").toString()).isEqualTo("Optional.empty");
    assertThat((List<String>) facts.get("routes"))
        .containsExactlyInAnyOrder("extra-hello", "github-webhook", "on-push");

    // the GitHub gateway accepted the signed push, and on-push ran its step on the local executor
    assertThat(facts.get("gatewayStatus")).isEqualTo(202);
    assertThat((String) facts.get("gatewayBody")).contains(CamelMainScenario.DELIVERY);
    assertThat(facts.get("runStatus")).isEqualTo("SUCCEEDED");
    assertThat((List<String>) facts.get("steps")).containsExactly("describe-push local SUCCEEDED");
    assertThat((String) facts.get("log:describe-push"))
        .contains("push to octo/hello (refs/heads/main) at abc123")
        .contains("event type: push");

    // caravan.routes-dir works under camel-main too
    assertThat(facts.get("extraRoutesDirectory")).isEqualTo(extra.toString());
    assertThat((List<String>) facts.get("extraRoutes"))
        .containsExactly("extra-hello.yaml:[extra-hello]");
    // and an env value under parameters: reaches the step as written
    assertThat(facts.get("extraAnswer")).isEqualTo("hello c++ & 100% from the routes directory");
  }
}
