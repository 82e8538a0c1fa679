package dev.caravan.run.api;

import dev.caravan.gateway.Signatures;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.springframework.web.filter.OncePerRequestFilter;

/** When an API token is configured, {@code /api/**} needs {@code Authorization: Bearer <token>}. */
public class ApiTokenFilter extends OncePerRequestFilter {

  private final String token;

  /**
   * @param token the API token; blank for an open API
   */
  public ApiTokenFilter(String token) {
    this.token = token;
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    String path = request.getRequestURI().substring(request.getContextPath().length());
    return token == null || token.isBlank() || !(path.equals("/api") || path.startsWith("/api/"));
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String header = request.getHeader("Authorization");
    String given =
        header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
            ? header.substring(7).trim()
            : null;
    if (!Signatures.constantTimeEquals(token, given)) {
      response.setStatus(401);
      response.setHeader("WWW-Authenticate", "Bearer");
      response.setContentType("application/json");
      response
          .getOutputStream()
          .write(
              "{\"error\":\"unauthorized\",\"detail\":\"send Authorization: Bearer <API token>\"}"
                  .getBytes(StandardCharsets.UTF_8));
      return;
    }
    chain.doFilter(request, response);
  }
}
