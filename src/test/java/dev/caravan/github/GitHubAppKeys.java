package dev.caravan.github;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;

/**
 * A GitHub App's RSA key pair made for a test, its private key as the PEM files GitHub hands out
 * (PKCS#1) or OpenSSL writes (PKCS#8), and a clock the test moves.
 */
public final class GitHubAppKeys {

  final KeyPair pair;

  public GitHubAppKeys() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    pair = generator.generateKeyPair();
  }

  public RSAPublicKey publicKey() {
    return (RSAPublicKey) pair.getPublic();
  }

  /** {@code BEGIN PRIVATE KEY}: the JDK's own encoding of the key. */
  Path pkcs8(Path dir) throws IOException {
    return write(dir.resolve("app-pkcs8.pem"), "PRIVATE KEY", pair.getPrivate().getEncoded());
  }

  /** {@code BEGIN RSA PRIVATE KEY}: the RSAPrivateKey inside the PKCS#8 encoding. */
  public Path pkcs1(Path dir) throws IOException {
    byte[] pkcs8 = pair.getPrivate().getEncoded();
    // SEQUENCE(4) INTEGER 0(3) AlgorithmIdentifier(15) OCTET STRING header(4), for a 2048-bit key
    assertThat(pkcs8[22])
        .as("OCTET STRING of a 2048-bit key's PKCS#8 encoding")
        .isEqualTo((byte) 4);
    byte[] pkcs1 = Arrays.copyOfRange(pkcs8, 26, pkcs8.length);
    return write(dir.resolve("app-pkcs1.pem"), "RSA PRIVATE KEY", pkcs1);
  }

  private static Path write(Path file, String type, byte[] der) throws IOException {
    String base64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    Files.writeString(
        file, "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n");
    return file;
  }

  /** A clock that stands still until the test moves it. */
  static final class TestClock extends Clock {

    private volatile Instant now = Instant.parse("2026-12-01T12:00:00Z");

    Instant now() {
      return now;
    }

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
