package dev.caravan.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * Caravan's error answer, {@code {"error": "<short phrase>", "detail": "<what to do>"}}, for the
 * places that answer before or outside Spring MVC: the body filter, the error controller and
 * Tomcat's error report valve.
 */
final class JsonErrors {

  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonErrors() {}

  /** The error JSON. */
  static String body(String error, String detail) {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("error", error);
    body.put("detail", detail);
    try {
      return JSON.writeValueAsString(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The status's reason phrase in lower case ({@code 404} is "not found"). */
  static String phrase(int status) {
    HttpStatus known = HttpStatus.resolve(status);
    return known == null ? "error" : known.getReasonPhrase().toLowerCase(Locale.ROOT);
  }

  /**
   * What to do about an error whose cause gave no words meant for the caller; never internals
   * (those go to the log).
   */
  static String detail(int status) {
    return switch (status) {
      case 400 -> "the request is malformed";
      case 401 -> "this request needs credentials";
      case 403 -> "this request is not allowed";
      case 404 -> "nothing is served at this path; GET /api/openapi.json lists the API's paths";
      case 405 -> "this path does not answer this method; the Allow header lists those it does";
      case 406 -> "answers are application/json; accept it (or */*)";
      case 408 -> "the request did not arrive in time";
      case 413 -> "the request is too large";
      case 415 -> "this content type is not accepted here";
      default -> status >= 500 ? "see the server log" : "the request failed with status " + status;
    };
  }

  /**
   * Writes the error as the whole answer; {@code close} asks the client to close the connection.
   */
  static void write(
      HttpServletResponse response, int status, String error, String detail, boolean close)
      throws IOException {
    byte[] bytes = body(error, detail).getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    if (close) {
      response.setHeader("Connection", "close");
    }
    response.setContentType("application/json");
    response.setContentLength(bytes.length);
    response.getOutputStream().write(bytes);
    response.flushBuffer();
  }
}
