package dev.caravan.github;

import java.security.GeneralSecurityException;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A GitHub stub that plays a GitHub App's side for each test ({@link GitHubAppStub}), with the
 * app's key pair (made once per JVM: an RSA key takes a while) and a clock the test moves.
 */
final class GitHubAppFixture implements BeforeEachCallback, AfterEachCallback {

  private static GitHubAppKeys shared;

  final String appId;
  final GitHubAppKeys keys;
  final GitHubAppKeys.TestClock clock = new GitHubAppKeys.TestClock();
  GitHubStub stub;
  GitHubAppStub app;

  GitHubAppFixture(String appId) {
    this.appId = appId;
    this.keys = keys();
  }

  private static synchronized GitHubAppKeys keys() {
    if (shared == null) {
      try {
        shared = new GitHubAppKeys();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot make an RSA key pair", e);
      }
    }
    return shared;
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    stub = new GitHubStub();
    app = stub.app(appId, keys.publicKey(), clock::now);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    stub.close();
  }
}
