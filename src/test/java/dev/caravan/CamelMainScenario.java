package dev.caravan;

import static org.awaitility.Awaitility.await;

import dev.caravan.routes.RoutesDirectory;
import dev.caravan.run.JdbcRunStore;
import dev.caravan.run.JdbcStepJournal;
import dev.caravan.run.RunStatus;
import dev.caravan.run.RunView;
import dev.caravan.run.Runs;
import dev.caravan.run.StepView;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a camel-main user does, run by {@link CamelMainIT} in a class loader that has no Spring on
 * it: boot {@link Main} with Caravan's route files and properties, send a signed GitHub push to the
 * gateway, and wait for the {@code on-push} pipeline's run. Returns what it saw, for the test to
 * check. Only JDK types cross the class loader boundary.
 */
public final class CamelMainScenario implements Function<Map<String, String>, Map<String, Object>> {

  static final String PUSH =
      "{\"ref\":\"refs/heads/main\",\"after\":\"abc123\",\"repository\":{\"full_name\":"
          + "\"octo/hello\",\"clone_url\":\"https://github.com/octo/hello.git\"}}";
  static final String DELIVERY = "camel-main-delivery-1";
  private static final Set<RunStatus> ENDED =
      Set.of(RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELED, RunStatus.TIMED_OUT);

  @Override
  public Map<String, Object> apply(Map<String, String> settings) {
    // this class loader's logback has no configuration: INFO, as the rest of the build logs
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.INFO);
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("springVisible", loadable("org.springframework.context.ApplicationContext"));
    facts.put("springBootVisible", loadable("org.springframework.boot.SpringApplication"));
    loadable("org.h2.Driver"); // registers this class loader's H2 driver with DriverManager
    Main main =
        new Main() {
          @Override
          protected CamelContext createCamelContext() {
            CamelContext camel = super.createCamelContext();
            // In a JVM of its own, camel-main's ServiceLoader lookups (a null class loader: the
            // system one) see the application's classes. Inside this test's JVM the system class
            // loader is the test's, with Spring on it, so point Camel at this class loader.
            camel.setApplicationContextClassLoader(CamelMainScenario.class.getClassLoader());
            return camel;
          }
        };
    settings.forEach(main::addInitialProperty);
    try {
      main.start();
      CamelContext camel = main.getCamelContext();
      facts.put("mainClass", main.getClass().getSuperclass().getName());
      facts.put("contextClass", camel.getClass().getName());
      facts.put("registryClass", camel.getRegistry().getClass().getName());
      facts.put("propertiesLocations", List.copyOf(camel.getPropertiesComponent().getLocations()));
      facts.put(
          "applicationProperties",
          String.valueOf(getClass().getClassLoader().getResource("application.properties")));
      facts.put("routes", camel.getRoutes().stream().map(Route::getRouteId).sorted().toList());
      facts.put(
          "maxBodyBytes",
          camel.getPropertiesComponent().resolveProperty("caravan.gateways.max-body-bytes"));

      HttpResponse<String> response = push(settings);
      facts.put("gatewayStatus", response.statusCode());
      facts.put("gatewayBody", response.body());

      JdbcRunStore runs = Runs.of(camel).store();
      JdbcStepJournal journal = Runs.of(camel).journal();
      RunView run =
          await()
              .atMost(Duration.ofSeconds(30))
              .until(
                  () -> runs.runs("on-push", null, DELIVERY, 1, 0).stream().findFirst(),
                  found -> found.isPresent() && ENDED.contains(found.get().status()))
              .orElseThrow();
      facts.put("runStatus", run.status().name());
      List<String> steps = new ArrayList<>();
      for (StepView step : journal.steps(run.id())) {
        var record = journal.latest(run.id(), step.name(), step.fanOutIndex()).orElseThrow();
        steps.add(step.name() + " " + record.executor() + " " + record.status());
        facts.put("log:" + step.name(), record.output());
      }
      facts.put("steps", steps);

      RoutesDirectory extra = camel.hasService(RoutesDirectory.class);
      facts.put("extraRoutesDirectory", String.valueOf(extra.getDirectory()));
      facts.put(
          "extraRoutes", extra.files().stream().map(f -> f.file() + ":" + f.routeIds()).toList());
      if (camel.getRoute("extra-hello") != null) {
        facts.put(
            "extraAnswer",
            camel.createProducerTemplate().requestBody("direct:extra-hello", "", String.class));
      }
    } catch (Exception e) {
      throw new IllegalStateException("camel-main scenario failed: " + e, e);
    } finally {
      main.stop();
    }
    return facts;
  }

  private static boolean loadable(String name) {
    try {
      Class.forName(name, true, CamelMainScenario.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** A push delivery signed as GitHub signs it. */
  private static HttpResponse<String> push(Map<String, String> settings) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(
        new SecretKeySpec(
            settings.get("caravan.github.webhook-secret").getBytes(StandardCharsets.UTF_8),
            "HmacSHA256"));
    String signature =
        "sha256=" + HexFormat.of().formatHex(mac.doFinal(PUSH.getBytes(StandardCharsets.UTF_8)));
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:" + settings.get("camel.server.port") + "/events/github"))
            .header("Content-Type", "application/json")
            .header("X-GitHub-Event", "push")
            .header("X-GitHub-Delivery", DELIVERY)
            .header("X-Hub-Signature-256", signature)
            .POST(HttpRequest.BodyPublishers.ofString(PUSH))
            .build();
    return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
  }
}
