package dev.caravan.app;

import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;

/** Checks a presented bearer token against the API token, in constant time. */
final class ApiTokenAuthenticationProvider implements AuthenticationProvider {

  private final ApiToken token;

  ApiTokenAuthenticationProvider(ApiToken token) {
    this.token = token;
  }

  @Override
  public Authentication authenticate(Authentication authentication) {
    if (!token.matches((String) authentication.getCredentials())) {
      throw new BadCredentialsException("not the API token");
    }
    return BearerTokenAuthentication.verified();
  }

  @Override
  public boolean supports(Class<?> authentication) {
    return BearerTokenAuthentication.class.isAssignableFrom(authentication);
  }
}
