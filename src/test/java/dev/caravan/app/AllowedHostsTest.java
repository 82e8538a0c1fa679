package dev.caravan.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AllowedHostsTest {

  private final AllowedHosts hosts =
      AllowedHosts.of("https://caravan.example.com/base", "caravan, caravan.ci.svc ,CI.Internal.");

  @Test
  void servesLoopbackNamesIpLiteralsThePublicUrlsHostAndTheAllowedHosts() {
    assertThat(
            new String[] {
              "localhost",
              "LOCALHOST",
              "localhost.",
              "127.0.0.1",
              "::1",
              "[::1]",
              "10.244.0.17",
              "255.255.255.255",
              "[fd00::1]",
              "[::ffff:10.0.0.1]",
              "caravan.example.com",
              "caravan",
              "caravan.ci.svc",
              "ci.internal"
            })
        .allMatch(hosts);
  }

  @Test
  void refusesEveryOtherName() {
    assertThat(
            new String[] {
              null,
              "",
              "evil.example",
              "localhost.evil.example",
              "caravan.example.com.evil.example",
              "example.com",
              "256.1.1.1",
              "1.2.3",
              "127.0.0.1.nip.io",
              "0x7f.1",
              "[fd00::zz]",
              "caravan.ci"
            })
        .noneMatch(hosts);
  }

  @Test
  void aStarServesAnyHost() {
    assertThat(AllowedHosts.of("", "*").test("evil.example")).isTrue();
  }

  @Test
  void refusesEntriesThatAreNoHostNames() {
    for (String entry : new String[] {"caravan:8080", "https://caravan", "caravan/x", "a b"}) {
      assertThatThrownBy(() -> AllowedHosts.of("", entry))
          .as(entry)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("caravan.security.allowed-hosts")
          .hasMessageContaining(entry);
    }
    assertThatThrownBy(() -> AllowedHosts.of("caravan.example.com", ""))
        .hasMessageContaining("caravan.api.public-url");
  }
}
