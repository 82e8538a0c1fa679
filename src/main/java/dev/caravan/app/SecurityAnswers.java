package dev.caravan.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;

/**
 * The security chain's answers in Caravan's error shape: 401 with {@code WWW-Authenticate: Bearer}
 * for a missing or wrong token, 403 for a refused request, 400 for a request the firewall refuses.
 */
final class SecurityAnswers implements AuthenticationEntryPoint, AccessDeniedHandler {

  static final String UNAUTHORIZED_DETAIL = "send Authorization: Bearer <API token>";

  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public void commence(
      HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
      throws IOException {
    unauthorized(response);
  }

  @Override
  public void handle(
      HttpServletRequest request, HttpServletResponse response, AccessDeniedException e)
      throws IOException {
    write(response, HttpServletResponse.SC_FORBIDDEN, "forbidden", e.getMessage());
  }

  static void unauthorized(HttpServletResponse response) throws IOException {
    response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
    write(response, HttpServletResponse.SC_UNAUTHORIZED, "unauthorized", UNAUTHORIZED_DETAIL);
  }

  static void write(HttpServletResponse response, int status, String error, String detail)
      throws IOException {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("error", error);
    body.put("detail", detail);
    response.setStatus(status);
    response.setContentType(MediaType.APPLICATION_JSON_VALUE);
    response.getOutputStream().write(JSON.writeValueAsBytes(body));
    response.flushBuffer();
  }
}
