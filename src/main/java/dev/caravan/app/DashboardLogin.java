package dev.caravan.app;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The dashboard's login: with an API token configured, {@code POST /login} exchanges the token for
 * a session (an HttpOnly, {@code SameSite=Strict} cookie; a new session id on each login), and
 * {@code POST /logout} ends it. {@code GET /session} tells the pages whether they are signed in and
 * gives them the CSRF token their buttons send.
 */
@RestController
class DashboardLogin {

  private static final Logger LOG = LoggerFactory.getLogger(DashboardLogin.class);

  private final ApiToken token;
  private final AuthenticationManager tokens;
  private final SecurityContextRepository sessions;

  DashboardLogin(
      ApiToken token,
      AuthenticationProvider apiTokenAuthenticationProvider,
      SecurityContextRepository dashboardSessions) {
    this.token = token;
    this.tokens = new ProviderManager(apiTokenAuthenticationProvider);
    this.sessions = dashboardSessions;
  }

  @GetMapping("/login")
  ResponseEntity<byte[]> page() {
    return LoginPage.answer();
  }

  @PostMapping("/login")
  ResponseEntity<Void> login(
      @RequestParam(defaultValue = "") String token,
      @RequestParam(defaultValue = "/") String next,
      HttpServletRequest request,
      HttpServletResponse response) {
    String target = LoginPage.localTarget(next);
    if (!this.token.isConfigured()) {
      return seeOther(target);
    }
    Authentication verified;
    try {
      verified = tokens.authenticate(BearerTokenAuthentication.presented(token));
    } catch (AuthenticationException wrong) {
      LOG.info("Dashboard login refused: not the API token");
      return seeOther("/login?error&next=" + LoginPage.encode(target));
    }
    HttpSession existing = request.getSession(false);
    if (existing != null) {
      existing.invalidate();
    }
    request.getSession(true);
    SecurityContext context = SecurityContextHolder.createEmptyContext();
    context.setAuthentication(verified);
    SecurityContextHolder.setContext(context);
    sessions.saveContext(context, request, response);
    return seeOther(target);
  }

  @PostMapping("/logout")
  ResponseEntity<Void> logout(HttpServletRequest request) {
    HttpSession session = request.getSession(false);
    if (session != null) {
      session.invalidate();
    }
    SecurityContextHolder.clearContext();
    return seeOther("/login");
  }

  @GetMapping("/session")
  Map<String, Object> session(HttpServletRequest request) {
    Authentication current = SecurityContextHolder.getContext().getAuthentication();
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("tokenRequired", token.isConfigured());
    answer.put(
        "authenticated",
        !token.isConfigured()
            || current instanceof BearerTokenAuthentication && current.isAuthenticated());
    CsrfToken csrf = (CsrfToken) request.getAttribute(CsrfToken.class.getName());
    if (csrf != null && request.getSession(false) != null) {
      answer.put("csrf", Map.of("header", csrf.getHeaderName(), "token", csrf.getToken()));
    }
    return answer;
  }

  private static ResponseEntity<Void> seeOther(String location) {
    return ResponseEntity.status(HttpStatus.SEE_OTHER).location(URI.create(location)).build();
  }
}
