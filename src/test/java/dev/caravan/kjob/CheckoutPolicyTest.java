package dev.caravan.kjob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What checkout=true may clone: every refused form, and the forms that pass. */
class CheckoutPolicyTest {

  /** A DNS stand-in: github.com is public, the rest is what an attacker's domain might say. */
  private static final Map<String, String> DNS =
      Map.of(
          "github.com", "140.82.121.3",
          "git.example.com", "93.184.215.14",
          "ci.example.com", "93.184.215.15",
          "internal.example.com", "10.1.2.3",
          "rebind.example.com", "127.0.0.1",
          "metadata.example.com", "169.254.169.254",
          "v6.example.com", "fd00::1",
          "mapped.example.com", "::ffff:192.168.1.1",
          "localhost", "127.0.0.1");

  private static InetAddress[] resolve(String host) throws UnknownHostException {
    String address = DNS.get(host);
    if (address != null) {
      return new InetAddress[] {InetAddress.getByName(address)};
    }
    // literals parse without DNS; anything else is unknown here
    if (host.matches("[0-9.]+") || host.contains(":")) {
      return InetAddress.getAllByName(host);
    }
    throw new UnknownHostException(host);
  }

  private static CheckoutPolicy defaults() {
    return CheckoutPolicy.of(
        CheckoutPolicy.DEFAULT_HOSTS,
        CheckoutPolicy.DEFAULT_SCHEMES,
        false,
        CheckoutPolicyTest::resolve);
  }

  private static CheckoutPolicy anyHost() {
    return CheckoutPolicy.of("*", "https,ssh,http", false, CheckoutPolicyTest::resolve);
  }

  private static String refusal(CheckoutPolicy policy, String repository) {
    return policy
        .refusal(repository)
        .orElseThrow(() -> new AssertionError("allowed: " + repository));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://github.com/octo/repo.git",
        "https://GitHub.com./octo/repo",
        "https://x-access-token:t0ken@github.com/octo/repo.git",
        "https://github.com:443/octo/repo.git",
        "ssh://git@github.com/octo/repo.git",
        "ssh://git@github.com:22/octo/repo.git",
        "git+ssh://git@github.com/octo/repo.git",
        "git@github.com:octo/repo.git",
        "github.com:octo/repo.git"
      })
  void httpsAndSshOnTheAllowedHostPassByDefault(String repository) {
    assertThat(defaults().refusal(repository)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/srv/git/repo", "./repo", "repo", "~/repo", "/tmp/x:y"})
  void localPathsAreRefusedNamingTheSchemesOption(String repository) {
    assertThat(refusal(defaults(), repository))
        .contains("is local", "checkoutAllowedSchemes (https,ssh)");
  }

  @Test
  void fileUrlsAreRefusedNamingTheSchemesOption() {
    assertThat(refusal(defaults(), "file:///etc/caravan/repo"))
        .contains("is local", "checkoutAllowedSchemes");
    assertThat(refusal(defaults(), "FILE:///srv/repo")).contains("checkoutAllowedSchemes");
  }

  @Test
  void localPathsPassWhenFileIsAllowed() {
    CheckoutPolicy trusted =
        CheckoutPolicy.of("github.com", "https,file", false, CheckoutPolicyTest::resolve);

    assertThat(trusted.refusal("/srv/git/repo")).isEmpty();
    assertThat(trusted.refusal("file:///srv/git/repo")).isEmpty();
    assertThat(trusted.refusal("git@github.com:octo/repo.git"))
        .get()
        .asString()
        .contains("uses ssh", "checkoutAllowedSchemes (https,file)");
  }

  @Test
  void plainHttpIsRefusedUnlessAllowed() {
    assertThat(refusal(defaults(), "http://github.com/octo/repo.git"))
        .contains("uses http,", "checkoutAllowedSchemes");
    assertThat(
            CheckoutPolicy.of("github.com", "https,http", false, CheckoutPolicyTest::resolve)
                .refusal("http://github.com/octo/repo.git"))
        .isEmpty();
  }

  @ParameterizedTest
  @CsvSource({
    "'ext::sh -c touch /tmp/pwned', ext::",
    "fd::17, fd::",
    "'fd::17,18/repo', fd::",
    "testgit::/srv/repo, testgit::",
    "persistent-https::github.com/octo/repo, persistent-https::",
    "git://github.com/octo/repo.git, git://",
    "ftp://github.com/octo/repo.git, ftp://",
    "ftps://github.com/octo/repo.git, ftps://",
    "rsync://github.com/octo/repo.git, rsync://",
    "svn://github.com/octo/repo, svn://"
  })
  void otherTransportsAreAlwaysRefused(String repository, String transport) {
    CheckoutPolicy everything =
        CheckoutPolicy.of("*", "https,ssh,http,file", true, CheckoutPolicyTest::resolve);

    assertThat(refusal(everything, repository))
        .contains("the transport " + transport, "checkout never allows", "checkoutAllowedSchemes");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://git.example.com/octo/repo.git",
        "https://github.com.evil.example/octo/repo.git",
        "https://evilgithub.com/octo/repo.git",
        "git@git.example.com:octo/repo.git",
        "ssh://git@git.example.com/octo/repo.git"
      })
  void hostsThatAreNotAllowedAreRefusedNamingTheHostsOption(String repository) {
    assertThat(refusal(defaults(), repository)).contains("checkoutAllowedHosts (github.com)");
  }

  @Test
  void aWildcardAllowsSubdomainsOnly() {
    CheckoutPolicy policy =
        CheckoutPolicy.of("*.example.com", "https", false, CheckoutPolicyTest::resolve);

    assertThat(policy.refusal("https://git.example.com/octo/repo.git")).isEmpty();
    assertThat(policy.refusal("https://ci.example.com/octo/repo.git")).isEmpty();
    assertThat(refusal(policy, "https://example.com/octo/repo.git"))
        .contains("checkoutAllowedHosts");
    assertThat(refusal(policy, "https://example.com.evil.test/octo/repo.git"))
        .contains("checkoutAllowedHosts");
  }

  @ParameterizedTest
  @CsvSource({
    "http://127.0.0.1:8080/octo/repo.git, 127.0.0.1",
    "https://localhost/octo/repo.git, 127.0.0.1",
    "https://[::1]/octo/repo.git, 0:0:0:0:0:0:0:1",
    "https://10.0.0.7/octo/repo.git, 10.0.0.7",
    "https://172.16.3.4/octo/repo.git, 172.16.3.4",
    "https://192.168.1.1/octo/repo.git, 192.168.1.1",
    "https://169.254.169.254/latest/meta-data, 169.254.169.254",
    "https://0.0.0.0/octo/repo.git, 0.0.0.0",
    "https://[fd12:3456::1]/octo/repo.git, fd12:3456:0:0:0:0:0:1",
    "https://[fe80::1]/octo/repo.git, fe80:0:0:0:0:0:0:1",
    "https://[::ffff:127.0.0.1]/octo/repo.git, 127.0.0.1",
    "https://[64:ff9b::a00:1]/octo/repo.git, 64:ff9b:0:0:0:0:a00:1",
    "https://100.64.0.1/octo/repo.git, 100.64.0.1",
    "https://internal.example.com/octo/repo.git, 10.1.2.3",
    "https://rebind.example.com/octo/repo.git, 127.0.0.1",
    "https://metadata.example.com/octo/repo.git, 169.254.169.254",
    "https://v6.example.com/octo/repo.git, fd00:0:0:0:0:0:0:1",
    "https://mapped.example.com/octo/repo.git, 192.168.1.1",
    "https://github.com@127.0.0.1/octo/repo.git, 127.0.0.1",
    "git@127.0.0.1:octo/repo.git, 127.0.0.1",
    "ssh://git@localhost:2222/octo/repo.git, 127.0.0.1"
  })
  void internalAddressesAreRefusedNamingThePrivateAddressesOption(
      String repository, String address) {
    assertThat(refusal(anyHost(), repository))
        .contains("internal address " + address, "checkoutAllowPrivateAddresses=true");
  }

  @Test
  void internalAddressesPassWhenAllowed() {
    CheckoutPolicy trusted =
        CheckoutPolicy.of("*", "https,http", true, CheckoutPolicyTest::resolve);

    assertThat(trusted.refusal("http://127.0.0.1:8080/octo/repo.git")).isEmpty();
    assertThat(trusted.refusal("https://no-such-host.invalid/octo/repo.git")).isEmpty();
  }

  @Test
  void aHostThatDoesNotResolveIsRefused() {
    assertThat(refusal(anyHost(), "https://no-such-host.invalid/octo/repo.git"))
        .contains("could not be resolved", "checkoutAllowPrivateAddresses=true");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://2130706433/octo/repo.git",
        "https://0x7f000001/octo/repo.git",
        "https://0x7f.1/octo/repo.git",
        "https://127.1/octo/repo.git",
        "https://0177.0.0.1/octo/repo.git",
        "https://127.0.0.01/octo/repo.git"
      })
  void ambiguousNumericHostsAreRefused(String repository) {
    assertThat(refusal(anyHost(), repository)).contains("ambiguous numeric host");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://a@b@github.com/octo/repo.git",
        "https://github.com\\@127.0.0.1/octo/repo.git",
        "https://%31%32%37.0.0.1/octo/repo.git",
        "https:///octo/repo.git",
        "https://-oProxyCommand=touch/repo",
        "ssh://-oProxyCommand=touch%20x/repo",
        "https://github.com:port/octo/repo.git",
        "https://[::1/octo/repo.git",
        ""
      })
  void malformedRepositoriesAreRefused(String repository) {
    assertThat(anyHost().refusal(repository)).isPresent();
  }

  @Test
  void theRefusalEscapesTheRepository() {
    assertThat(refusal(defaults(), "https://evil.example/\r\nforged"))
        .contains("https://evil.example/\\r\\nforged")
        .doesNotContain("\r", "\n");
  }

  @Test
  void gitIsLimitedToTheRepositorysOwnTransport() {
    assertThat(CheckoutPolicy.gitProtocol("https://github.com/o/r.git")).isEqualTo("https");
    assertThat(CheckoutPolicy.gitProtocol("git@github.com:o/r.git")).isEqualTo("ssh");
    assertThat(CheckoutPolicy.gitProtocol("/srv/repo")).isEqualTo("file");
    assertThat(CheckoutPolicy.gitProtocol("ext::sh -c id")).isEqualTo("none");
  }

  @Test
  void invalidOptionsFailNamingTheOption() {
    assertThatThrownBy(() -> CheckoutPolicy.of("github.com", "https,git", false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("checkoutAllowedSchemes=https,git")
        .hasMessageContaining("'git'");
    assertThatThrownBy(() -> CheckoutPolicy.of("github.com,exa mple.com", "https", false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("checkoutAllowedHosts=github.com,exa mple.com");
    assertThatThrownBy(() -> CheckoutPolicy.of("git*.com", "https", false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("checkoutAllowedHosts");
  }
}
