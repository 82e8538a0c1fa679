package dev.caravan.api;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import org.springframework.http.HttpStatus;

/**
 * The JSON body of an API request, read with a size limit (the gateways' {@code
 * caravan.gateways.max-body-bytes}): {@code 413} beyond it, {@code 415} for a body that is not
 * declared JSON (curl's {@code -d} declares a form, whose fields Tomcat would take for parameters).
 */
final class JsonRequestBody {

  private JsonRequestBody() {}

  static byte[] read(HttpServletRequest request, long maxBytes) throws IOException {
    long declared = request.getContentLengthLong();
    if (declared > maxBytes) {
      throw tooLarge(maxBytes);
    }
    String type = request.getContentType();
    if (type != null && !type.toLowerCase(Locale.ROOT).contains("json") && declared != 0) {
      throw new ApiException(
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          "the body is the event data as JSON: send Content-Type: application/json, not " + type);
    }
    try (InputStream body = request.getInputStream()) {
      byte[] bytes = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
      if (bytes.length > maxBytes) {
        throw tooLarge(maxBytes);
      }
      return bytes;
    }
  }

  private static ApiException tooLarge(long maxBytes) {
    return new ApiException(
        HttpStatus.PAYLOAD_TOO_LARGE,
        "the body is larger than "
            + maxBytes
            + " bytes (caravan.gateways.max-body-bytes, env CARAVAN_MAX_BODY_BYTES)");
  }
}
