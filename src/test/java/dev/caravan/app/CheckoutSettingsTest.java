package dev.caravan.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.kjob.KjobComponent;
import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

/** caravan.checkout.* become the kjob component's checkout options. */
class CheckoutSettingsTest {

  private static KjobComponent applied(MockEnvironment environment) {
    KjobComponent kjob = new KjobComponent();
    CheckoutSettings.apply(kjob, environment);
    return kjob;
  }

  @Test
  void allowedHostsDefaultToTheGitHubHostInUse() {
    assertThat(applied(new MockEnvironment()).getCheckoutAllowedHosts()).isEqualTo("github.com");
    assertThat(
            applied(new MockEnvironment().withProperty("caravan.github.api-url", ""))
                .getCheckoutAllowedHosts())
        .isEqualTo("github.com");
    assertThat(CheckoutSettings.defaultHosts("https://api.github.com")).isEqualTo("github.com");
    assertThat(
            applied(
                    new MockEnvironment()
                        .withProperty("caravan.github.api-url", "https://GHE.example.com/api/v3"))
                .getCheckoutAllowedHosts())
        .isEqualTo("ghe.example.com");
  }

  @Test
  void theAppsKeysSetTheOptions() {
    KjobComponent kjob =
        applied(
            new MockEnvironment()
                .withProperty("caravan.github.api-url", "https://ghe.example.com/api/v3")
                .withProperty("caravan.checkout.allowed-hosts", "*.example.com")
                .withProperty("caravan.checkout.allowed-schemes", "https,file")
                .withProperty("caravan.checkout.allow-private-addresses", "true"));

    assertThat(kjob.getCheckoutAllowedHosts()).isEqualTo("*.example.com");
    assertThat(kjob.getCheckoutAllowedSchemes()).isEqualTo("https,file");
    assertThat(kjob.isCheckoutAllowPrivateAddresses()).isTrue();
  }

  @Test
  void kjobsOwnKeysAreLeftAlone() {
    MockEnvironment environment =
        new MockEnvironment()
            .withProperty("caravan.checkout.allowed-hosts", "*.example.com")
            .withProperty("camel.component.kjob.checkoutAllowedHosts", "git.example.org");
    KjobComponent kjob = new KjobComponent();
    kjob.setCheckoutAllowedHosts("git.example.org"); // as the binding of camel.component.kjob.* did

    CheckoutSettings.apply(kjob, environment);

    assertThat(kjob.getCheckoutAllowedHosts()).isEqualTo("git.example.org");
  }
}
