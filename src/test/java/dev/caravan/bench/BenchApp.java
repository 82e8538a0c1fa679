package dev.caravan.bench;

import dev.caravan.app.CaravanApplication;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.servlet.context.ServletWebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The app of the end-to-end and API scenarios, started in the benchmark's JVM: {@code
 * CaravanApplication} on a free loopback port with a fresh H2 file store, the gateways and {@code
 * bench/end-to-end.yaml} as its only routes, the retention policy off (it would delete the filled
 * runs) and the local executor.
 */
final class BenchApp implements AutoCloseable {

  static final String SECRET = "bench-secret-e2e";
  static final String ROUTE_FILE = "bench/end-to-end.yaml";

  private final Path dataDir;
  private final ConfigurableApplicationContext context;
  private final ExecutorService clientThreads = Executors.newFixedThreadPool(4);
  private final HttpClient client;
  private final int port;

  private BenchApp(Path dataDir, ConfigurableApplicationContext context) {
    this.dataDir = dataDir;
    this.context = context;
    this.port = ((ServletWebServerApplicationContext) context).getWebServer().getPort();
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .executor(clientThreads)
            .build();
  }

  static BenchApp start() throws Exception {
    return start(List.of());
  }

  /**
   * @param settings more arguments of the app, such as another {@code spring.datasource.url}
   */
  static BenchApp start(List<String> settings) throws Exception {
    Path dataDir = Files.createTempDirectory("caravan-bench-app");
    Path routes = Path.of(ROUTE_FILE).toAbsolutePath();
    if (!Files.isRegularFile(routes)) {
      throw new IllegalStateException("run from the project's directory: no " + routes);
    }
    List<String> arguments = new ArrayList<>();
    arguments.add("--server.address=127.0.0.1");
    arguments.add("--server.port=0");
    arguments.add("--caravan.data-dir=" + dataDir);
    arguments.add("--caravan.github.webhook-secret=" + SECRET);
    arguments.add("--caravan.retention.enabled=false");
    arguments.add("--camel.component.kjob.executor=local");
    arguments.add(
        "--camel.main.routes-include-pattern=classpath:routes/common/*.yaml,"
            + "classpath:routes/gateways/*.yaml,file:"
            + routes);
    arguments.add("--logging.level.root=WARN");
    arguments.add("--spring.main.banner-mode=off");
    arguments.addAll(settings);
    ConfigurableApplicationContext context =
        new SpringApplicationBuilder(CaravanApplication.class)
            .logStartupInfo(false)
            .run(arguments.toArray(String[]::new));
    return new BenchApp(dataDir, context);
  }

  int port() {
    return port;
  }

  HttpClient client() {
    return client;
  }

  URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + port + pathAndQuery);
  }

  DataSource dataSource() {
    return context.getBean(DataSource.class);
  }

  CamelContext camel() {
    return context.getBean(CamelContext.class);
  }

  /** GET, answering the body; anything but 200 is an error. */
  String get(String pathAndQuery) throws Exception {
    HttpResponse<String> answer =
        client.send(
            HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(60)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (answer.statusCode() != 200) {
      throw new IllegalStateException(
          "GET " + pathAndQuery + " answered " + answer.statusCode() + ": " + answer.body());
    }
    return answer.body();
  }

  @Override
  public void close() throws Exception {
    try {
      context.close();
      clientThreads.shutdownNow();
    } finally {
      BenchMain.deleteTree(dataDir);
    }
  }
}
