package dev.caravan.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.api.QuietStepFollowers;
import dev.caravan.app.CaravanApplication;
import dev.caravan.gateway.Signatures;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Slow clients cannot starve the gateways. Fifty connections trickle their bodies to {@code
 * /events/github} and {@code /events/webhook/ci} (one byte every 2 s, reconnecting when answered)
 * while signed deliveries arrive at 5 per second for 15 s: every delivery is answered 202 with a
 * p99 latency under 1 s, and every trickling upload gets {@code 408} JSON once {@code
 * caravan.gateways.body-timeout} (3 s here) has passed, with the connection closed. The same holds
 * when, at the same time, 100 clients follow a step's log and leave, round after round: each time
 * the gauge of followers is back at 0 within seconds. Bodies held in memory stay within {@code
 * caravan.gateways.max-buffered-bytes}: a body that does not fit gets 503 with {@code Retry-After},
 * and every byte is given back when the requests end.
 */
@SpringBootTest(
    classes = {CaravanApplication.class, QuietStepFollowers.QuietPipeline.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "caravan.github.webhook-secret=" + SlowClientsIT.SECRET,
      "caravan.webhook.tokens.ci=" + SlowClientsIT.TOKEN,
      "caravan.gateways.body-timeout=3s",
      "caravan.gateways.max-buffered-bytes=" + SlowClientsIT.BUDGET,
      "spring.datasource.url=jdbc:h2:mem:slow-clients-it;DB_CLOSE_DELAY=-1",
      // the gateways only: the example pipelines would run a step process per push
      "camel.main.routes-include-pattern=classpath:routes/common/*.yaml,"
          + "classpath:routes/gateways/*.yaml",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200",
      "caravan.api.max-followers=" + SlowClientsIT.FOLLOWERS
    })
class SlowClientsIT {

  static final String SECRET = "slow-clients-secret-41c2";
  static final String TOKEN = "slow-clients-token-9e3a";
  static final int BUDGET = 1_048_576;
  static final int FOLLOWERS = 100;
  private static final Duration BODY_TIMEOUT = Duration.ofSeconds(3);
  private static final int TRICKLERS = 50;
  private static final int RATE = 5;
  private static final int SECONDS = 15;
  private static final String[] PATHS = {"/events/github", "/events/webhook/ci"};

  private static final Duration FOLLOW_WAIT = Duration.ofSeconds(30);

  @LocalServerPort int port;
  @Autowired MeterRegistry meters;
  @Autowired CamelContext camel;

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private final List<Socket> followers = new CopyOnWriteArrayList<>();
  private Path gate;

  @AfterEach
  void releaseTheQuietStepAndCloseFollowers() throws IOException {
    if (gate != null && !Files.exists(gate)) {
      Files.createFile(gate);
    }
    for (Socket socket : followers) {
      socket.close();
    }
  }

  /** What a raw connection was answered, and after how long. */
  record Answer(int status, long millis, String head, String body, boolean closed) {}

  private double bufferedBytes() {
    return meters.get("caravan.gateways.buffered.bytes").gauge().value();
  }

  private static String sign(byte[] body) {
    return "sha256=" + HexFormat.of().formatHex(Signatures.hmac("HmacSHA256", SECRET, body));
  }

  private HttpRequest delivery(String path, String id) {
    byte[] body =
        ("{\"ref\":\"refs/heads/main\",\"after\":\""
                + id
                + "\",\"repository\":{\"full_name\":\"octo/slow\"}}")
            .getBytes(StandardCharsets.UTF_8);
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + TOKEN)
        .header("X-Event-Id", id)
        .header("X-GitHub-Event", "push")
        .header("X-GitHub-Delivery", id)
        .header("X-Hub-Signature-256", sign(body))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
  }

  /** Request line and headers of an upload of {@code length} bytes to the path. */
  private static byte[] head(String path, long length) {
    return ("POST "
            + path
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer "
            + TOKEN
            + "\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: slow-"
            + UUID.randomUUID()
            + "\r\nX-Hub-Signature-256: sha256=00\r\nContent-Length: "
            + length
            + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Reads an answer whose first byte has arrived, then until the server closes (or the socket's
   * read timeout passes, which means it kept the connection open).
   */
  private static Answer readAnswer(int first, InputStream in, long startNanos) throws IOException {
    long millis = (System.nanoTime() - startNanos) / 1_000_000;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.write(first);
    boolean closed;
    try {
      in.transferTo(bytes);
      closed = true;
    } catch (SocketTimeoutException e) {
      closed = false;
    }
    String text = bytes.toString(StandardCharsets.UTF_8);
    int end = text.indexOf("\r\n\r\n");
    String head = end < 0 ? text : text.substring(0, end);
    String body = end < 0 ? "" : text.substring(end + 4);
    int status = Integer.parseInt(head.substring(9, 12));
    return new Answer(status, millis, head.toLowerCase(Locale.ROOT), body, closed);
  }

  /**
   * A slow client: sends the head of a 1000-byte upload, then one byte every 2 s (the time it waits
   * for an answer between two bytes), and starts again when answered, until told to stop.
   */
  private Runnable trickler(
      String path,
      CountDownLatch trickling,
      List<Answer> answers,
      List<Throwable> errors,
      AtomicBoolean stop) {
    return () -> {
      boolean first = true;
      while (!stop.get()) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
          socket.setSoTimeout(2_000);
          OutputStream out = socket.getOutputStream();
          InputStream in = socket.getInputStream();
          out.write(head(path, 1000));
          long start = System.nanoTime();
          Answer answer = null;
          while (!stop.get() && answer == null) {
            try {
              out.write(' ');
              out.flush();
            } catch (IOException e) {
              // the server answered and closed meanwhile: its answer is read below
            }
            if (first) {
              trickling.countDown();
              first = false;
            }
            try {
              int next = in.read();
              if (next < 0) {
                throw new IOException("closed without an answer");
              }
              answer = readAnswer(next, in, start);
            } catch (SocketTimeoutException e) {
              // no answer yet: the next byte
            }
          }
          if (answer != null) {
            answers.add(answer);
          }
        } catch (IOException | RuntimeException e) {
          if (!stop.get()) {
            errors.add(e);
          }
        }
      }
    };
  }

  private static long percentile(List<Long> sorted, double p) {
    return sorted.get((int) Math.ceil(p / 100.0 * sorted.size()) - 1);
  }

  /** Fifty slow clients, each on its own thread, and what they were answered. */
  private final class Tricklers {
    final List<Answer> answers = new CopyOnWriteArrayList<>();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();

    /** Starts them and returns once each has sent its first byte. */
    Tricklers start() throws InterruptedException {
      CountDownLatch trickling = new CountDownLatch(TRICKLERS);
      for (int i = 0; i < TRICKLERS; i++) {
        Thread thread =
            new Thread(trickler(PATHS[i % 2], trickling, answers, errors, stop), "trickler-" + i);
        thread.setDaemon(true);
        thread.start();
        threads.add(thread);
      }
      assertThat(trickling.await(20, TimeUnit.SECONDS)).as("all tricklers connected").isTrue();
      return this;
    }

    void stop() throws InterruptedException {
      stop.set(true);
      for (Thread thread : threads) {
        thread.join(10_000);
      }
    }
  }

  /** Signed deliveries at {@link #RATE} per second for {@link #SECONDS} s: status and latency. */
  private final class Deliveries {
    private final List<CompletableFuture<long[]>> answers = new CopyOnWriteArrayList<>();
    private final CountDownLatch allSent = new CountDownLatch(RATE * SECONDS);
    private final AtomicInteger sent = new AtomicInteger();
    private final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();

    Deliveries start() {
      clock.scheduleAtFixedRate(
          () -> {
            int n = sent.getAndIncrement();
            if (n >= RATE * SECONDS) {
              return;
            }
            long start = System.nanoTime();
            answers.add(
                http.sendAsync(
                        delivery(PATHS[n % 2], "valid-" + n + "-" + UUID.randomUUID()),
                        HttpResponse.BodyHandlers.ofString())
                    .handle(
                        (response, failure) ->
                            new long[] {
                              response == null ? -1 : response.statusCode(),
                              (System.nanoTime() - start) / 1_000_000
                            }));
            allSent.countDown();
          },
          0,
          1000 / RATE,
          TimeUnit.MILLISECONDS);
      return this;
    }

    boolean allSent() {
      return allSent.getCount() == 0;
    }

    /** Waits for every answer; returns {status, millis} of each. */
    List<long[]> answered() throws Exception {
      try {
        assertThat(allSent.await(SECONDS + 30, TimeUnit.SECONDS)).isTrue();
      } finally {
        clock.shutdownNow();
      }
      CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      return answers.stream().map(CompletableFuture::join).toList();
    }
  }

  private void warmUpTheGateways() throws Exception {
    // first requests compile code paths
    for (int i = 0; i < 10; i++) {
      for (String path : PATHS) {
        assertThat(
                http.send(
                        delivery(path, "warm-" + UUID.randomUUID()),
                        HttpResponse.BodyHandlers.ofString())
                    .statusCode())
            .isEqualTo(202);
      }
    }
  }

  /**
   * Prints the figures and checks them: every delivery 202 with a p99 under 1 s; every trickler
   * answered at least once, each answer a 408 JSON after the deadline with the connection closed;
   * the buffered bytes back at 0.
   */
  private void assertDeliveriesAnsweredAndTricklersTimedOut(
      String test, List<long[]> deliveries, Tricklers tricklers) throws Exception {
    List<Long> statuses = deliveries.stream().map(d -> d[0]).toList();
    List<Long> latencies = deliveries.stream().map(d -> d[1]).sorted().toList();
    List<Answer> answers = tricklers.answers;
    var tricklersAnswered = new ConcurrentHashMap<Integer, Integer>();
    answers.forEach(a -> tricklersAnswered.merge(a.status(), 1, Integer::sum));
    System.out.printf(
        "%s: %d deliveries, latency p50 %d ms, p99 %d ms, max %d ms; %d trickling"
            + " uploads answered %s, after %d..%d ms%n",
        test,
        latencies.size(),
        percentile(latencies, 50),
        percentile(latencies, 99),
        latencies.get(latencies.size() - 1),
        answers.size(),
        tricklersAnswered,
        answers.stream().mapToLong(Answer::millis).min().orElse(-1),
        answers.stream().mapToLong(Answer::millis).max().orElse(-1));

    assertThat(statuses).hasSize(RATE * SECONDS).containsOnly(202L);
    assertThat(percentile(latencies, 99)).as("p99 latency in ms").isLessThan(1_000);
    assertThat(tricklers.errors).isEmpty();
    // each trickler was answered at least once in 15 s, every answer a 408 after the deadline
    assertThat(answers).hasSizeGreaterThanOrEqualTo(TRICKLERS);
    for (Answer answer : answers) {
      assertThat(answer.status()).as(answer.toString()).isEqualTo(408);
      assertThat(answer.millis())
          .as("ms to the 408")
          .isBetween(BODY_TIMEOUT.toMillis() - 100, BODY_TIMEOUT.toMillis() + 3_000);
      assertThat(answer.head()).contains("connection: close", "content-type: application/json");
      assertThat(answer.closed()).as("the server closed the connection").isTrue();
      JsonNode error = json.readTree(answer.body());
      assertThat(error.path("error").asText()).isEqualTo("request timeout");
      assertThat(error.path("detail").asText()).contains("3 seconds");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> bufferedBytes() == 0);
  }

  @Test
  void validDeliveriesKeepAnsweringWhileFiftyClientsTrickleTheirBodies() throws Exception {
    warmUpTheGateways();
    Tricklers tricklers = new Tricklers().start();

    List<long[]> deliveries = new Deliveries().start().answered();
    tricklers.stop();

    assertDeliveriesAnsweredAndTricklersTimedOut(
        "SlowClientsIT (tricklers)", deliveries, tricklers);
  }

  @Test
  void validDeliveriesKeepAnsweringWhileFiftyClientsTrickleAndHundredFollowersComeAndGo()
      throws Exception {
    warmUpTheGateways();
    gate = Files.createTempDirectory("slow-followers").resolve("gate");
    String path =
        QuietStepFollowers.followPath(QuietStepFollowers.startQuietRun(camel, gate, FOLLOW_WAIT));
    Tricklers tricklers = new Tricklers().start();

    Deliveries deliveries = new Deliveries().start();
    // rounds of 100 followers that connect (each is sent the step's first line) and leave, for as
    // long as deliveries are being sent
    int rounds = 0;
    List<Long> goneMillis = new ArrayList<>();
    while (rounds == 0 || !deliveries.allSent()) {
      for (int i = 0; i < FOLLOWERS; i++) {
        followers.add(QuietStepFollowers.follow(port, path, FOLLOW_WAIT));
      }
      await()
          .atMost(Duration.ofSeconds(5))
          .alias("every follower of round " + rounds + " counted")
          .until(() -> QuietStepFollowers.followers(meters) == FOLLOWERS);
      for (Socket socket : followers) {
        socket.close();
      }
      followers.clear();
      long left = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(5))
          .alias("the gauge of followers back at 0 after round " + rounds + " left")
          .until(() -> QuietStepFollowers.followers(meters) == 0);
      goneMillis.add((System.nanoTime() - left) / 1_000_000);
      rounds++;
    }
    List<long[]> answered = deliveries.answered();
    tricklers.stop();
    System.out.printf(
        "SlowClientsIT (tricklers and followers): %d rounds of %d followers, gone after %s ms%n",
        rounds, FOLLOWERS, goneMillis);

    assertDeliveriesAnsweredAndTricklersTimedOut(
        "SlowClientsIT (tricklers and followers)", answered, tricklers);
    assertThat(QuietStepFollowers.followers(meters)).isZero();
  }

  @Test
  void aBodyThatDoesNotFitTheBudgetGets503WithRetryAfterUntilTheBudgetIsFree() throws Exception {
    int held = BUDGET - 500;
    try (Socket stalled = new Socket("127.0.0.1", port)) {
      stalled.setSoTimeout(10_000);
      // an upload that sends most of its body quickly, then stops
      stalled.getOutputStream().write(head("/events/webhook/ci", 2 * BUDGET));
      stalled.getOutputStream().write(new byte[held]);
      stalled.getOutputStream().flush();
      await().atMost(Duration.ofSeconds(10)).until(() -> bufferedBytes() == held);

      Answer refused = rawUpload(1000);

      assertThat(refused.status()).as(refused.toString()).isEqualTo(503);
      assertThat(refused.head()).contains("retry-after: 3", "connection: close");
      assertThat(json.readTree(refused.body()).path("error").asText())
          .isEqualTo("too many uploads");
      assertThat(refused.closed()).isTrue();

      // the stalled upload times out, and its bytes are given back
      int first = stalled.getInputStream().read();
      Answer timedOut = readAnswer(first, stalled.getInputStream(), System.nanoTime());
      assertThat(timedOut.status()).isEqualTo(408);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> bufferedBytes() == 0);
    HttpResponse<String> accepted =
        http.send(
            delivery("/events/webhook/ci", "after-" + UUID.randomUUID()),
            HttpResponse.BodyHandlers.ofString());
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
  }

  /** A whole upload of {@code length} bytes of JSON whitespace, sent at once. */
  private Answer rawUpload(int length) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(head("/events/webhook/ci", length));
      socket.getOutputStream().write(" ".repeat(length).getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      long start = System.nanoTime();
      return readAnswer(socket.getInputStream().read(), socket.getInputStream(), start);
    }
  }
}
