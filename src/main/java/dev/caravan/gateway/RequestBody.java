package dev.caravan.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.camel.Message;

/** Reads a gateway request's raw body within a size limit, and its media type. */
final class RequestBody {

  /** GitHub's own cap on webhook payloads. */
  static final int DEFAULT_MAX_BYTES = 25 * 1024 * 1024;

  private RequestBody() {}

  /** The raw bytes; 413 when the declared or actual size passes the limit. */
  static byte[] read(Message message, int maxBytes) {
    Long declared = message.getHeader("Content-Length", Long.class);
    if (declared != null && declared > maxBytes) {
      throw tooLarge(maxBytes);
    }
    Object body = message.getBody();
    if (body == null) {
      return new byte[0];
    }
    try (InputStream in = message.getBody(InputStream.class)) {
      if (in == null) {
        return new byte[0];
      }
      byte[] bytes = in.readNBytes(maxBytes + 1);
      if (bytes.length > maxBytes) {
        throw tooLarge(maxBytes);
      }
      return bytes;
    } catch (IOException e) {
      throw GatewayException.badRequest("the request body could not be read");
    }
  }

  /** The media type without parameters, lower case, or "" when there is none. */
  static String mediaType(Message message) {
    String type = message.getHeader("Content-Type", String.class);
    if (type == null) {
      return "";
    }
    int semicolon = type.indexOf(';');
    return (semicolon < 0 ? type : type.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
  }

  /** The bytes as strict UTF-8; 400 when they are not valid UTF-8. */
  static String utf8(byte[] body) {
    var decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      return decoder.decode(ByteBuffer.wrap(body)).toString();
    } catch (CharacterCodingException e) {
      throw GatewayException.badRequest("the body is not valid UTF-8");
    }
  }

  private static GatewayException tooLarge(int maxBytes) {
    return new GatewayException(
        413, "payload too large", "the body must not exceed " + maxBytes + " bytes");
  }
}
