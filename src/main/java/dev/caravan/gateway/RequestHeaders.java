package dev.caravan.gateway;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.camel.Message;

/**
 * Text of request headers that become event attributes (ids, types, subjects). HTTP servers
 * (Tomcat, Vert.x) hand header bytes over as ISO-8859-1, one character per byte, so a UTF-8 value
 * such as {@code Déjà-✓} arrives as mojibake; this reads the bytes back as UTF-8, and refuses (400)
 * bytes that are not UTF-8 rather than store a garbled value. A value that already holds characters
 * beyond ISO-8859-1 was decoded by the server and is kept.
 */
final class RequestHeaders {

  private RequestHeaders() {}

  /** The header's UTF-8 text, trimmed, or {@code null} when it is absent or blank. */
  static String text(Message message, String name) {
    String value = message.getHeader(name, String.class);
    if (value == null) {
      return null;
    }
    String text = utf8(name, value);
    return text.isBlank() ? null : text.trim();
  }

  static String utf8(String name, String value) {
    boolean ascii = true;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c > 0xFF) {
        return value;
      }
      ascii &= c < 0x80;
    }
    if (ascii) {
      return value;
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(value.getBytes(StandardCharsets.ISO_8859_1)))
          .toString();
    } catch (CharacterCodingException e) {
      throw GatewayException.badRequest("the header " + name + " is not valid UTF-8");
    }
  }
}
