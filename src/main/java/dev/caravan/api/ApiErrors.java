package dev.caravan.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.run.RunsNotOpenException;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;

/** Errors of the API as {@code {"error": ..., "detail": ...}}. */
@RestControllerAdvice(basePackageClasses = ApiErrors.class)
class ApiErrors {

  private static final ObjectMapper JSON = new ObjectMapper();

  @ExceptionHandler(ApiException.class)
  ResponseEntity<Map<String, String>> refused(ApiException e) {
    return error(e.status(), e.getMessage());
  }

  /** Tomcat serves before the routes have started: a client of a starting Caravan retries. */
  @ExceptionHandler(RunsNotOpenException.class)
  ResponseEntity<Map<String, String>> starting(RunsNotOpenException e) {
    return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
        .header(HttpHeaders.RETRY_AFTER, "2")
        .contentType(MediaType.APPLICATION_JSON)
        .body(
            body(
                phrase(HttpStatus.SERVICE_UNAVAILABLE),
                "Caravan is starting (or stopping): its runs are not open yet; try again in a few"
                    + " seconds"));
  }

  @ExceptionHandler(MethodArgumentTypeMismatchException.class)
  ResponseEntity<Map<String, String>> badValue(MethodArgumentTypeMismatchException e) {
    return error(
        HttpStatus.BAD_REQUEST, badValueDetail(e.getName(), e.getRequiredType(), e.getValue()));
  }

  @ExceptionHandler(MissingServletRequestParameterException.class)
  ResponseEntity<Map<String, String>> missing(MissingServletRequestParameterException e) {
    return error(
        HttpStatus.BAD_REQUEST,
        "the query parameter '" + e.getParameterName() + "' is required: send it");
  }

  // Spring's own messages of these name the controller method: words of our own instead

  @ExceptionHandler(HttpMessageNotReadableException.class)
  ResponseEntity<Map<String, String>> unreadable(HttpMessageNotReadableException e) {
    return error(
        HttpStatus.BAD_REQUEST,
        "the request body is missing or is not valid JSON: send a JSON body with Content-Type:"
            + " application/json");
  }

  @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
  ResponseEntity<Map<String, String>> unsupported(HttpMediaTypeNotSupportedException e) {
    return error(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        "send the body as "
            + (e.getSupportedMediaTypes().isEmpty()
                ? "application/json"
                : MediaType.toString(e.getSupportedMediaTypes()))
            + (e.getContentType() == null ? "" : ", not " + e.getContentType()));
  }

  /** What a value of the wrong type should have been, naming the parameter. */
  static String badValueDetail(String name, Class<?> type, Object value) {
    String expected;
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      expected = "a whole number";
    } else if (type == Boolean.class || type == boolean.class) {
      expected = "true or false";
    } else if (type != null && type.isEnum()) {
      expected = "one of " + Arrays.toString(type.getEnumConstants());
    } else {
      expected = "a " + (type == null ? "different" : type.getSimpleName()) + " value";
    }
    return "'" + name + "' must be " + expected + ", not '" + value + "'";
  }

  static ResponseEntity<Map<String, String>> error(HttpStatus status, String detail) {
    return ResponseEntity.status(status)
        .contentType(MediaType.APPLICATION_JSON)
        .body(body(phrase(status), detail));
  }

  /** Writes the error as the whole answer, for the places that answer before a controller. */
  static void write(HttpServletResponse response, int status, String error, String detail)
      throws IOException {
    response.setStatus(status);
    response.setContentType(MediaType.APPLICATION_JSON_VALUE);
    response.getOutputStream().write(JSON.writeValueAsBytes(body(error, detail)));
    response.flushBuffer();
  }

  /** {@code error} before {@code detail}, always. */
  static Map<String, String> body(String error, String detail) {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("error", error);
    body.put("detail", detail);
    return body;
  }

  private static String phrase(HttpStatus status) {
    return status.getReasonPhrase().toLowerCase(Locale.ROOT);
  }
}
