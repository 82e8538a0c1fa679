package dev.caravan.app;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.web.error.ErrorAttributeOptions;
import org.springframework.boot.web.servlet.error.DefaultErrorAttributes;
import org.springframework.http.HttpStatus;
import org.springframework.web.context.request.WebRequest;

/**
 * Errors that Spring answers before a route runs (405, 404, ...) in Caravan's own shape: {@code
 * {"error": ..., "detail": ...}}.
 */
class JsonErrorAttributes extends DefaultErrorAttributes {

  @Override
  public Map<String, Object> getErrorAttributes(WebRequest request, ErrorAttributeOptions options) {
    Map<String, Object> spring =
        super.getErrorAttributes(request, options.including(ErrorAttributeOptions.Include.MESSAGE));
    Object status = spring.get("status");
    HttpStatus known =
        status instanceof Integer code
            ? HttpStatus.resolve(code)
            : HttpStatus.INTERNAL_SERVER_ERROR;
    Map<String, Object> body = new LinkedHashMap<>();
    body.put(
        "error",
        known == null ? "error" : known.getReasonPhrase().toLowerCase(java.util.Locale.ROOT));
    Object message = spring.get("message");
    body.put(
        "detail",
        known != null && known.is5xxServerError()
            ? "see the server log"
            : message == null || "".equals(message) ? spring.get("path") : message);
    body.put("status", status);
    return body;
  }
}
