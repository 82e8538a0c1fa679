package dev.caravan;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * caravan-camel, the artifact that camel-main and Camel K pull in ({@code camel/pom.xml}, built and
 * installed into {@code target/it-repo} by the maven-invoker-plugin in pre-integration-test, its
 * runtime dependencies listed by maven-dependency-plugin): it carries the plain-Camel code and no
 * Spring, at the versions the app is tested with.
 */
class CaravanCamelArtifactIT {

  private static final Path TARGET = Path.of("target");
  private static final Pattern LISTED =
      Pattern.compile("^\\s+([^:\\s]+):([^:\\s]+):jar:([^:\\s]+):(compile|runtime)\\b.*$");

  private static String appVersion() throws Exception {
    Properties pom = new Properties();
    try (InputStream in = Files.newInputStream(TARGET.resolve("maven-archiver/pom.properties"))) {
      pom.load(in);
    }
    return pom.getProperty("version");
  }

  /** groupId:artifactId to version, of caravan-camel's runtime class path. */
  private static Map<String, String> runtimeDependencies() throws Exception {
    Path listed = TARGET.resolve("caravan-camel/runtime-dependencies.txt");
    assertThat(listed)
        .as("written by the build of camel/pom.xml that mvn verify runs before the ITs")
        .exists();
    Map<String, String> dependencies = new TreeMap<>();
    for (String line : Files.readAllLines(listed)) {
      Matcher matcher = LISTED.matcher(line);
      if (matcher.matches()) {
        dependencies.put(matcher.group(1) + ":" + matcher.group(2), matcher.group(3));
      }
    }
    return dependencies;
  }

  /** groupId:artifactId to version, of this test's class path (the app's, plus test jars). */
  private static Map<String, String> appClassPath() {
    Map<String, String> jars = new TreeMap<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      String path = entry.replace('\\', '/');
      int repository = path.indexOf("/repository/");
      if (repository < 0 || !path.endsWith(".jar")) {
        continue;
      }
      String[] parts = path.substring(repository + "/repository/".length()).split("/");
      if (parts.length < 4) {
        continue;
      }
      String version = parts[parts.length - 2];
      String artifact = parts[parts.length - 3];
      String group = String.join(".", List.of(parts).subList(0, parts.length - 3));
      jars.put(group + ":" + artifact, version);
    }
    return jars;
  }

  @Test
  void bringsTheComponentsAndNoSpring() throws Exception {
    Map<String, String> dependencies = runtimeDependencies();

    assertThat(dependencies.keySet())
        .isNotEmpty()
        .noneMatch(ga -> ga.startsWith("org.springframework"))
        .noneMatch(ga -> ga.startsWith("org.apache.camel.springboot:"))
        .noneMatch(ga -> ga.startsWith("org.apache.camel:camel-spring"))
        .contains(
            "org.apache.camel:camel-support",
            "org.apache.camel:camel-core-model",
            "org.apache.camel:camel-github",
            "io.fabric8:kubernetes-client",
            "com.fasterxml.jackson.core:jackson-databind",
            "com.zaxxer:HikariCP",
            "com.h2database:h2",
            "org.postgresql:postgresql",
            "org.flywaydb:flyway-core",
            "org.flywaydb:flyway-database-postgresql",
            "io.micrometer:micrometer-core",
            "net.java.dev.jna:jna");
  }

  @Test
  void bringsTheVersionsTheAppIsTestedWith() throws Exception {
    Map<String, String> app = appClassPath();
    Map<String, String> differ = new TreeMap<>();
    runtimeDependencies()
        .forEach(
            (ga, version) -> {
              String tested = app.get(ga);
              if (tested == null || !tested.equals(version)) {
                differ.put(ga, version + " (app: " + tested + ")");
              }
            });

    assertThat(differ).as("pin them in camel/pom.xml to the app's versions").isEmpty();
  }

  @Test
  void holdsThePlainCamelCodeAndNotTheSpringApp() throws Exception {
    String version = appVersion();
    Path installed = TARGET.resolve("it-repo/dev/caravan/caravan-camel/" + version);
    assertThat(installed.resolve("caravan-camel-" + version + ".pom"))
        .as("camel/pom.xml's version must be the app's (%s)", version)
        .exists();
    Path jar = installed.resolve("caravan-camel-" + version + ".jar");
    assertThat(jar).exists();

    try (JarFile file = new JarFile(jar.toFile())) {
      List<String> entries = file.stream().map(e -> e.getName()).toList();
      assertThat(entries)
          .contains(
              "dev/caravan/kjob/KjobComponent.class",
              "dev/caravan/kjob/kubernetes/KubernetesStepExecutor.class",
              "dev/caravan/kjob/local/LocalStepExecutor.class",
              "dev/caravan/event/EventComponent.class",
              "dev/caravan/gateway/GitHubWebhook.class",
              "dev/caravan/http/JsonErrorResponse.class",
              "dev/caravan/github/CommitStatus.class",
              "dev/caravan/checks/GitHubChecks.class",
              "dev/caravan/store/Database.class",
              "dev/caravan/run/JdbcRunStore.class",
              "dev/caravan/run/RunsPlugin.class",
              "dev/caravan/run/RetentionService.class",
              "dev/caravan/run/RetentionPlugin.class",
              "dev/caravan/routes/RoutesDirectory.class",
              "META-INF/services/org/apache/camel/component/kjob",
              "META-INF/services/org/apache/camel/component/event",
              "dev/caravan/kjob/KjobEndpointConfigurer.class",
              "dev/caravan/kjob/KjobConfigurationConfigurer.class",
              "dev/caravan/event/EventComponentConfigurer.class",
              "META-INF/services/org/apache/camel/configurer/kjob-endpoint",
              "META-INF/services/org/apache/camel/configurer/dev.caravan.kjob.KjobConfiguration",
              "META-INF/services/org/apache/camel/urifactory/kjob-endpoint",
              "META-INF/dev/caravan/kjob/kjob.json",
              "META-INF/dev/caravan/event/event.json",
              "META-INF/services/org/apache/camel/component.properties",
              "META-INF/services/org.apache.camel.spi.ContextServicePlugin",
              "db/caravan/V1__events.sql",
              "db/caravan/V4__retention.sql",
              "db/caravan/V5__delivery_queue.sql",
              "db/caravan/V6__run_retry_of.sql",
              "db/caravan/V7__change_log.sql",
              "db/caravan/V8__run_error.sql",
              "db/caravan/V9__runs_newest_first.sql",
              "db/caravan/V10__concurrency_groups.sql",
              "scripts/pr-checks/unit-tests.sh")
          .noneMatch(name -> name.startsWith("dev/caravan/app/"))
          .noneMatch(name -> name.startsWith("dev/caravan/api/"))
          .noneMatch(name -> name.startsWith("dev/caravan/cli/"))
          .noneMatch(name -> name.endsWith("application.properties"))
          .noneMatch(name -> name.startsWith("routes/"));
    }
  }

  @Test
  void examplesAndPipelinesNameTheArtifactInTheirCamelKModeline() throws Exception {
    String release = appVersion().replace("-SNAPSHOT", "");
    List<Path> routeFiles = new ArrayList<>();
    for (String folder : List.of("examples", "pipelines")) {
      try (Stream<Path> files = Files.list(Path.of("src/main/resources/routes", folder))) {
        routeFiles.addAll(files.toList());
      }
    }
    assertThat(routeFiles).hasSizeGreaterThan(2);
    for (Path file : routeFiles) {
      assertThat(Files.readAllLines(file))
          .as(file.toString())
          .anyMatch(
              line ->
                  line.startsWith("# camel-k:")
                      && line.contains("dependency=mvn:dev.caravan:caravan-camel:" + release));
    }
  }
}
