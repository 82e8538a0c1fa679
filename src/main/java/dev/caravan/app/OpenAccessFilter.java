package dev.caravan.app;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.core.context.SecurityContextHolderStrategy;
import org.springframework.security.web.authentication.preauth.PreAuthenticatedAuthenticationToken;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Without an API token nothing needs authentication, and every request is authorized as it was
 * before the token existed: this says so to what asks ({@code
 * management.endpoint.health.show-details=when-authorized} shows the health details, as without a
 * token it always did). Host and cross-site checks apply all the same.
 */
final class OpenAccessFilter extends OncePerRequestFilter {

  static final String PRINCIPAL = "anyone (no API token configured)";

  private final SecurityContextHolderStrategy contexts =
      SecurityContextHolder.getContextHolderStrategy();

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    SecurityContext context = contexts.createEmptyContext();
    context.setAuthentication(
        new PreAuthenticatedAuthenticationToken(
            PRINCIPAL, "", AuthorityUtils.createAuthorityList("ROLE_API")));
    contexts.setContext(context);
    chain.doFilter(request, response);
  }
}
