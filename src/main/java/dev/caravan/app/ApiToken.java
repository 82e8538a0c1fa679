package dev.caravan.app;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The API token ({@code caravan.api.token}): when configured, requests outside the open paths must
 * send it as {@code Authorization: Bearer <token>}. Compared in constant time; never logged.
 */
final class ApiToken {

  private static final String BEARER = "Bearer ";

  private final byte[] token;

  ApiToken(String token) {
    this.token =
        token == null || token.isBlank()
            ? new byte[0]
            : token.strip().getBytes(StandardCharsets.UTF_8);
  }

  boolean isConfigured() {
    return token.length > 0;
  }

  /** Whether {@code presented} is the token; false when no token is configured. */
  boolean matches(String presented) {
    return isConfigured()
        && presented != null
        // the time taken depends only on the length of the configured token
        && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The token of an {@code Authorization: Bearer <token>} header (the scheme in any case), or null
   * for no header, another scheme or an empty token.
   */
  static String bearer(String authorization) {
    if (authorization == null
        || authorization.length() <= BEARER.length()
        || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return null;
    }
    String presented = authorization.substring(BEARER.length()).strip();
    return presented.isEmpty() ? null : presented;
  }
}
