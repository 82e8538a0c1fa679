package dev.caravan.app;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.web.error.ErrorAttributeOptions;
import org.springframework.boot.web.servlet.error.DefaultErrorAttributes;
import org.springframework.web.context.request.WebRequest;

/**
 * Errors that Spring answers itself (404, 405, 406, an exception no handler took, ...) in Caravan's
 * shape: {@code {"error": ..., "detail": ...}}. The detail is Spring's message for most 4xx, never
 * for a 5xx (it may hold internals; the log has them), and never a stack trace.
 */
class JsonErrorAttributes extends DefaultErrorAttributes {

  /** Statuses whose Spring message says less than ours ("No static resource x."). */
  private static final Set<Integer> OWN_WORDS = Set.of(404, 405, 406);

  @Override
  public Map<String, Object> getErrorAttributes(WebRequest request, ErrorAttributeOptions options) {
    Map<String, Object> spring =
        super.getErrorAttributes(
            request,
            ErrorAttributeOptions.defaults()
                .including(ErrorAttributeOptions.Include.MESSAGE)
                .excluding(
                    ErrorAttributeOptions.Include.STACK_TRACE,
                    ErrorAttributeOptions.Include.EXCEPTION));
    int status = spring.get("status") instanceof Integer code ? code : 500;
    Object message = spring.get("message");
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", JsonErrors.phrase(status));
    body.put(
        "detail",
        status < 500
                && !OWN_WORDS.contains(status)
                && message instanceof String text
                && !text.isBlank()
            ? text
            : JsonErrors.detail(status));
    return body;
  }
}
