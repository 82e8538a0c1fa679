package dev.caravan.app;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpHeaders;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.authentication.AuthenticationConverter;

/**
 * Reads {@code Authorization: Bearer <token>}; a request without one stays anonymous (and gets the
 * 401 of the entry point where the token is required).
 */
final class BearerTokenConverter implements AuthenticationConverter {

  @Override
  public Authentication convert(HttpServletRequest request) {
    String token = ApiToken.bearer(request.getHeader(HttpHeaders.AUTHORIZATION));
    return token == null ? null : BearerTokenAuthentication.presented(token);
  }
}
