package dev.caravan.app;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpHeaders;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.firewall.RequestRejectedHandler;

/**
 * Answers what {@code StrictHttpFirewall} refuses before any filter of the chain runs: a host that
 * is not allowed gets 400 {@code host not allowed}; a path in a spelling the firewall refuses
 * ({@code ;}, {@code //}, {@code /./}, {@code /../}, encoded {@code /}, {@code .} or {@code %},
 * ...) gets the 401 of a missing token when a token is configured and the request does not carry it
 * (so that no spelling of a protected path answers otherwise than its canonical one), else 400.
 */
final class RejectedRequestAnswers implements RequestRejectedHandler {

  private final AllowedHosts hosts;
  private final ApiToken token;

  RejectedRequestAnswers(AllowedHosts hosts, ApiToken token) {
    this.hosts = hosts;
    this.token = token;
  }

  @Override
  public void handle(
      HttpServletRequest request, HttpServletResponse response, RequestRejectedException e)
      throws IOException {
    if (!hosts.test(request.getServerName())) {
      SecurityAnswers.write(
          response,
          HttpServletResponse.SC_BAD_REQUEST,
          "host not allowed",
          "this server does not answer to the host name of the request; to use that name, add it to "
              + AllowedHosts.SETTING);
    } else if (token.isConfigured()
        && !token.matches(ApiToken.bearer(request.getHeader(HttpHeaders.AUTHORIZATION)))) {
      SecurityAnswers.unauthorized(response);
    } else {
      SecurityAnswers.write(
          response,
          HttpServletResponse.SC_BAD_REQUEST,
          "bad request",
          "the request is not in a form Caravan serves (a path with ';', '//', '/./', '/../',"
              + " an encoded '/', '.' or '%', or a method or header that is not allowed); send the"
              + " path in its plain form");
    }
  }
}
