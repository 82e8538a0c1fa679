package dev.caravan.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RequestHeadersTest {

  /** What Tomcat and Vert.x make of header bytes: one ISO-8859-1 character per byte. */
  private static String asServersDecode(byte[] bytes) {
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  @Test
  void utf8HeaderBytesBecomeTheirText() {
    String sent = "déjà-✓-デリバリー";

    assertThat(
            RequestHeaders.utf8(
                "X-GitHub-Delivery", asServersDecode(sent.getBytes(StandardCharsets.UTF_8))))
        .isEqualTo(sent);
    assertThat(RequestHeaders.utf8("X-GitHub-Delivery", "plain-ascii-1"))
        .isEqualTo("plain-ascii-1");
  }

  @Test
  void bytesThatAreNotUtf8AreRefusedNotStoredGarbled() {
    String latin1 = asServersDecode(new byte[] {'d', (byte) 0xE9, 'j', (byte) 0xE0});

    assertThatThrownBy(() -> RequestHeaders.utf8("X-GitHub-Delivery", latin1))
        .isInstanceOfSatisfying(
            GatewayException.class, e -> assertThat(e.getStatus()).isEqualTo(400))
        .hasMessageContaining("X-GitHub-Delivery");
  }

  @Test
  void aValueTheServerAlreadyDecodedIsKept() {
    assertThat(RequestHeaders.utf8("X-Event-Id", "é-✓")).isEqualTo("é-✓");
  }
}
