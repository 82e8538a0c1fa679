package dev.caravan.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jwt.JWTClaimsSet;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class GitHubAppTokensTest {

  private static final String APP_ID = "123456";
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @TempDir Path dir;
  @RegisterExtension final GitHubAppFixture fixture = new GitHubAppFixture(APP_ID);

  private GitHubAppTokens tokens(Path keyFile) {
    return new GitHubAppTokens(APP_ID, keyFile, fixture.stub.url(), TIMEOUT, fixture.clock);
  }

  @Test
  void exchangesAnRs256JwtOfTheAppForAnInstallationToken() throws Exception {
    String token = tokens(fixture.keys.pkcs1(dir)).token(42);

    assertThat(fixture.app.violations).isEmpty();
    assertThat(token).startsWith("ghs_stub");
    assertThat(fixture.app.tokenRequests).hasSize(1);
    GitHubAppStub.Request request = fixture.app.tokenRequests.get(0);
    assertThat(request.method()).isEqualTo("POST");
    assertThat(request.path()).isEqualTo("/api/v3/app/installations/42/access_tokens");
    assertThat(request.headers())
        .containsEntry("accept", "application/vnd.github+json")
        .containsEntry("x-github-api-version", "2022-11-28");
    assertThat(request.headers().get("authorization")).startsWith("Bearer ey");
    JWTClaimsSet claims = fixture.app.verifiedJwts.get(0);
    assertThat(claims.getIssuer()).isEqualTo(APP_ID);
    assertThat(claims.getIssueTime().toInstant()).isEqualTo(fixture.clock.now().minusSeconds(60));
    assertThat(claims.getExpirationTime().toInstant())
        .isEqualTo(fixture.clock.now().plus(Duration.ofMinutes(9)));
  }

  @Test
  void readsPkcs8KeysToo() throws Exception {
    assertThat(tokens(fixture.keys.pkcs8(dir)).token(7)).startsWith("ghs_stub");
    assertThat(fixture.app.violations).isEmpty();
    assertThat(fixture.app.verifiedJwts).hasSize(1);
  }

  @Test
  void keepsTheTokenUntilShortlyBeforeItExpires() throws Exception {
    GitHubAppTokens tokens = tokens(fixture.keys.pkcs1(dir));
    String first = tokens.token(42);

    assertThat(tokens.token(42)).isEqualTo(first);
    fixture.clock.advance(Duration.ofMinutes(54));
    assertThat(tokens.token(42)).isEqualTo(first);
    assertThat(fixture.app.tokenRequests).hasSize(1);

    fixture.clock.advance(Duration.ofMinutes(2)); // 4 minutes before expires_at
    String second = tokens.token(42);
    assertThat(second).isNotEqualTo(first);
    assertThat(fixture.app.tokenRequests).hasSize(2);
    assertThat(tokens.token(42)).isEqualTo(second);

    String other = tokens.token(43);
    assertThat(other).isNotIn(first, second);
    assertThat(fixture.app.tokenRequests).hasSize(3);
    assertThat(fixture.app.violations).isEmpty();
  }

  @Test
  void concurrentCallersOfOneInstallationMakeOneRequest() throws Exception {
    GitHubAppTokens tokens = tokens(fixture.keys.pkcs1(dir));
    tokens.token(1); // loads every class on the way, so that only the cache can block a caller
    CountDownLatch gate = new CountDownLatch(1);
    fixture.app.holdTokens(gate);
    ExecutorService callers = Executors.newFixedThreadPool(8);
    List<Thread> threads = new ArrayList<>();
    List<CompletableFuture<String>> answers = new ArrayList<>();
    try {
      for (int i = 0; i < 8; i++) {
        answers.add(
            CompletableFuture.supplyAsync(
                () -> {
                  synchronized (threads) {
                    threads.add(Thread.currentThread());
                  }
                  try {
                    return tokens.token(42);
                  } catch (IOException e) {
                    throw new IllegalStateException(e);
                  }
                },
                callers));
      }
      // every caller is waiting, the first for GitHub, the others for it
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                synchronized (threads) {
                  return threads.size() == 8
                      && threads.stream()
                          .allMatch(
                              t ->
                                  t.getState() == Thread.State.BLOCKED
                                      || t.getState() == Thread.State.WAITING
                                      || t.getState() == Thread.State.TIMED_WAITING);
                }
              });
      gate.countDown();
      Set<String> distinct = Set.copyOf(answers.stream().map(answer -> answer.join()).toList());

      assertThat(distinct).hasSize(1);
      assertThat(fixture.app.tokenRequests).hasSize(2); // installation 1, then 42 once
    } finally {
      callers.shutdownNow();
      assertThat(callers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void aBadKeyFileIsNamedInTheErrorWithoutItsContent() throws Exception {
    Path missing = dir.resolve("missing.pem");
    assertThatThrownBy(() -> tokens(missing))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("cannot be read");

    Path notPem = Files.writeString(dir.resolve("not-pem.pem"), "s3cr3t-not-a-key");
    assertThatThrownBy(() -> tokens(notPem))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(notPem.toString())
        .hasMessageContaining("no PEM private key")
        .hasMessageNotContaining("s3cr3t");

    Path broken =
        Files.writeString(
            dir.resolve("broken.pem"),
            "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0Ynl0ZXM=\n-----END RSA PRIVATE KEY-----\n");
    assertThatThrownBy(() -> tokens(broken))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(broken.toString())
        .hasMessageContaining("not hold a valid RSA private key")
        .hasMessageNotContaining("c2VjcmV0Ynl0ZXM")
        .hasNoCause();
    assertThat(fixture.stub.requests).isEmpty();
  }

  @Test
  void gitHubsRefusalIsSurfacedWithItsMessageButNoSecret() throws Exception {
    GitHubAppKeys otherApp = new GitHubAppKeys();
    Path wrongKey = otherApp.pkcs1(dir);
    String pem = Files.readString(wrongKey);
    String keyLine = pem.lines().skip(1).findFirst().orElseThrow();

    assertThatThrownBy(() -> tokens(wrongKey).token(42))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("GitHub answered 401")
        .hasMessageContaining("installation 42")
        .hasMessageContaining("signature does not verify")
        .hasMessageNotContaining("eyJ")
        .hasMessageNotContaining(keyLine);

    fixture.app.refuseTokens(404, "Not Found");
    assertThatThrownBy(() -> tokens(fixture.keys.pkcs1(dir)).token(43))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("GitHub answered 404")
        .hasMessageContaining("the GitHub App's token request for installation 43")
        .hasMessageNotContaining(APP_ID)
        .hasMessageNotContaining("eyJ");
  }

  @Test
  void aGitHubThatDoesNotAnswerTimesOut() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    fixture.app.holdTokens(gate);
    GitHubAppTokens tokens =
        new GitHubAppTokens(
            APP_ID,
            fixture.keys.pkcs1(dir),
            fixture.stub.url(),
            Duration.ofMillis(300),
            fixture.clock);
    try {
      assertThatThrownBy(() -> tokens.token(42)).isInstanceOf(HttpTimeoutException.class);
    } finally {
      gate.countDown();
    }
  }

  @Test
  void theInstallationComesFromTheWebhookPayload() {
    assertThat(
            GitHubAppTokens.installationId(
                "{\"action\":\"opened\",\"installation\":{\"id\":98765,\"node_id\":\"x\"}}"))
        .isEqualTo(98765);
    assertThat(GitHubAppTokens.installationId(Map.of("installation", Map.of("id", 5))))
        .isEqualTo(5);

    for (Object payload :
        List.of("{\"action\":\"opened\"}", "{\"installation\":{\"id\":\"x\"}}", "[", Map.of())) {
      assertThatThrownBy(() -> GitHubAppTokens.installationId(payload))
          .as(String.valueOf(payload))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void theApiUrlIsGitHubsOrAnEnterpriseHostsV3Root() {
    assertThat(GitHubApi.restUrl("")).isEqualTo("https://api.github.com");
    assertThat(GitHubApi.restUrl("https://api.github.com")).isEqualTo("https://api.github.com");
    assertThat(GitHubApi.restUrl("https://ghe.example.com"))
        .isEqualTo("https://ghe.example.com/api/v3");
    assertThat(GitHubApi.restUrl("http://127.0.0.1:8081"))
        .isEqualTo("http://127.0.0.1:8081/api/v3");
  }
}
