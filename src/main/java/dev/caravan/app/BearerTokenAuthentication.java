package dev.caravan.app;

import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;

/**
 * A request's claim to hold the API token (not yet checked), or, once {@link
 * ApiTokenAuthenticationProvider} has checked it, the authenticated API client.
 */
final class BearerTokenAuthentication extends AbstractAuthenticationToken {

  static final String PRINCIPAL = "api-token";

  private final String presented;

  private BearerTokenAuthentication(String presented, boolean verified) {
    super(
        verified ? AuthorityUtils.createAuthorityList("ROLE_API") : AuthorityUtils.NO_AUTHORITIES);
    this.presented = presented;
    setAuthenticated(verified);
  }

  /** What a request presents, to be checked. */
  static BearerTokenAuthentication presented(String token) {
    return new BearerTokenAuthentication(token, false);
  }

  /** A request that presented the right token; it keeps no copy of it. */
  static BearerTokenAuthentication verified() {
    return new BearerTokenAuthentication(null, true);
  }

  @Override
  public Object getCredentials() {
    return presented;
  }

  @Override
  public Object getPrincipal() {
    return PRINCIPAL;
  }
}
