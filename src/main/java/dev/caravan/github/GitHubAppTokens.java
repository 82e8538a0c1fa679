package dev.caravan.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GitHub App mode: installation tokens for a GitHub App, next to the token mode of {@link
 * CommitStatus}. A JWT signed with the app's private key (RS256; {@code iss} the app id, {@code
 * iat} a minute ago for clock drift, {@code exp} in 9 minutes, GitHub allows 10) is exchanged at
 * {@code POST /app/installations/{id}/access_tokens} for a token of that installation, which is
 * kept until {@link #REFRESH_BEFORE} before its {@code expires_at}.
 *
 * <p>The installation comes from the event: every webhook delivery of a GitHub App carries {@code
 * installation.id} ({@link #installationId(Object)}). Callers of one installation at the same time
 * share one request; other installations do not wait for it.
 *
 * <p>The private key is a PEM file (a mounted Secret), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}, what
 * GitHub hands out) or PKCS#8 ({@code BEGIN PRIVATE KEY}), read once when this is built. Neither
 * the key, the JWT nor a token is ever logged or part of an error.
 */
public final class GitHubAppTokens {

  /** A token is asked for again this long before GitHub said it expires. */
  public static final Duration REFRESH_BEFORE = Duration.ofMinutes(5);

  static final Duration JWT_BACKDATE = Duration.ofSeconds(60);
  static final Duration JWT_LIFETIME = Duration.ofMinutes(9);
  private static final Pattern PEM =
      Pattern.compile(
          "-----BEGIN (RSA |)PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END \\1PRIVATE KEY-----");
  // AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }
  private static final byte[] RSA_ALGORITHM = {
    0x30,
    0x0d,
    0x06,
    0x09,
    0x2a,
    (byte) 0x86,
    0x48,
    (byte) 0x86,
    (byte) 0xf7,
    0x0d,
    0x01,
    0x01,
    0x01,
    0x05,
    0x00
  };
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Logger LOG = LoggerFactory.getLogger(GitHubAppTokens.class);

  private final String appId;
  private final RSASSASigner signer;
  private final GitHubRest rest;
  private final Clock clock;
  private final Map<Long, Slot> installations = new ConcurrentHashMap<>();

  /**
   * @param appId the app's id (or client id), the JWT's {@code iss}
   * @param privateKeyFile the app's private key, PEM
   * @param apiUrl GitHub's API: empty for api.github.com, {@code https://<host>} for GitHub
   *     Enterprise (as {@code caravan.github.api-url})
   * @param timeout longest wait to connect to GitHub, and for each answer
   */
  public GitHubAppTokens(String appId, Path privateKeyFile, String apiUrl, Duration timeout) {
    this(appId, privateKeyFile, apiUrl, timeout, Clock.systemUTC());
  }

  GitHubAppTokens(String appId, Path privateKeyFile, String apiUrl, Duration timeout, Clock clock) {
    if (appId == null || appId.isBlank()) {
      throw new IllegalArgumentException("the GitHub App id is empty");
    }
    this.appId = appId.trim();
    this.signer = new RSASSASigner(privateKey(privateKeyFile));
    this.rest = new GitHubRest(apiUrl, timeout);
    this.clock = clock;
  }

  /**
   * A token of the installation, from the cache while it is valid for {@link #REFRESH_BEFORE} more,
   * else a new one from GitHub.
   *
   * @throws IllegalStateException GitHub refused (its status and message, e.g. 401 for a wrong app
   *     id or key, 404 for an installation that is not the app's)
   * @throws IOException GitHub was not reached or did not answer in time
   */
  public String token(long installationId) throws IOException {
    if (installationId <= 0) {
      throw new IllegalArgumentException(
          "the GitHub App installation id must be a positive number, not " + installationId);
    }
    return installations.computeIfAbsent(installationId, id -> new Slot()).token(installationId);
  }

  GitHubRest rest() {
    return rest;
  }

  /** {@code installation.id} of a GitHub App's webhook payload: a JSON text or a parsed map. */
  public static long installationId(Object payload) {
    JsonNode tree;
    try {
      tree =
          payload instanceof String text
              ? JSON.readTree(text)
              : payload instanceof byte[] bytes ? JSON.readTree(bytes) : JSON.valueToTree(payload);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("the event's payload is not JSON", e);
    }
    JsonNode id = tree == null ? null : tree.path("installation").get("id");
    if (id == null || !id.canConvertToLong() || id.asLong() <= 0) {
      throw new IllegalArgumentException(
          "the event has no installation.id: only deliveries of a GitHub App's webhook carry one");
    }
    return id.asLong();
  }

  private Token exchange(long installationId) throws IOException {
    JsonNode answer =
        rest.send(
            "POST",
            "/app/installations/" + installationId + "/access_tokens",
            "Bearer " + jwt(),
            null,
            // the app id stays out: it is configuration no log or answer shows
            "the GitHub App's token request for installation " + installationId);
    String token = answer.path("token").asText("");
    Instant expiresAt;
    try {
      expiresAt = Instant.parse(answer.path("expires_at").asText(""));
    } catch (DateTimeParseException e) {
      throw new IOException(
          "GitHub's installation token for installation " + installationId + " has no expires_at");
    }
    if (token.isBlank()) {
      throw new IOException("GitHub answered no token for installation " + installationId);
    }
    LOG.debug("Installation token for installation {} until {}", installationId, expiresAt);
    return new Token(token, expiresAt);
  }

  private String jwt() {
    Instant now = clock.instant();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(appId)
            .issueTime(Date.from(now.minus(JWT_BACKDATE)))
            .expirationTime(Date.from(now.plus(JWT_LIFETIME)))
            .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("signing the GitHub App JWT failed: " + e.getMessage(), e);
    }
    return jwt.serialize();
  }

  static PrivateKey privateKey(Path file) {
    if (file == null) {
      throw new IllegalArgumentException("no GitHub App private key file is set");
    }
    String pem;
    try {
      pem = Files.readString(file, StandardCharsets.ISO_8859_1); // never a decoding error
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "the GitHub App private key file "
              + file
              + " cannot be read: "
              + e.getClass().getSimpleName(),
          e);
    }
    Matcher matcher = PEM.matcher(pem);
    if (!matcher.find()) {
      throw new IllegalArgumentException(
          "the GitHub App private key file "
              + file
              + " holds no PEM private key (BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)");
    }
    try {
      byte[] der = Base64.getMimeDecoder().decode(matcher.group(2));
      byte[] pkcs8 = matcher.group(1).isEmpty() ? der : pkcs8(der);
      return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      // the cause's message can quote key bytes: it is left out
      throw new IllegalArgumentException(
          "the GitHub App private key file " + file + " does not hold a valid RSA private key");
    }
  }

  /** A PKCS#1 RSAPrivateKey wrapped as PKCS#8 PrivateKeyInfo, which the JDK reads. */
  private static byte[] pkcs8(byte[] pkcs1) {
    ByteArrayOutputStream key = new ByteArrayOutputStream();
    key.write(0x04);
    writeLength(key, pkcs1.length);
    key.writeBytes(pkcs1);
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    content.writeBytes(new byte[] {0x02, 0x01, 0x00}); // version 0
    content.writeBytes(RSA_ALGORITHM);
    content.writeBytes(key.toByteArray());
    ByteArrayOutputStream info = new ByteArrayOutputStream();
    info.write(0x30);
    writeLength(info, content.size());
    info.writeBytes(content.toByteArray());
    return info.toByteArray();
  }

  private static void writeLength(ByteArrayOutputStream out, int length) {
    if (length < 0x80) {
      out.write(length);
      return;
    }
    int bytes = (Integer.SIZE - Integer.numberOfLeadingZeros(length) + 7) / 8;
    out.write(0x80 | bytes);
    for (int i = bytes - 1; i >= 0; i--) {
      out.write(length >>> (8 * i));
    }
  }

  /** An installation's token; its monitor makes concurrent callers wait for one request. */
  private final class Slot {

    private Token current;

    synchronized String token(long installationId) throws IOException {
      if (current == null || !clock.instant().isBefore(current.expiresAt.minus(REFRESH_BEFORE))) {
        current = null;
        current = exchange(installationId);
      }
      return current.value;
    }
  }

  /** Not a record: its toString must not show the token. */
  private static final class Token {

    private final String value;
    private final Instant expiresAt;

    Token(String value, Instant expiresAt) {
      this.value = value;
      this.expiresAt = expiresAt;
    }
  }
}
