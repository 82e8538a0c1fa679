package dev.caravan.app;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;

/** Sends a browser that asks for a page without a session to the login, and back afterwards. */
final class DashboardLoginRedirect implements AuthenticationEntryPoint {

  @Override
  public void commence(
      HttpServletRequest request, HttpServletResponse response, AuthenticationException e) {
    String query = request.getQueryString();
    String back = request.getRequestURI() + (query == null ? "" : "?" + query);
    response.setStatus(HttpServletResponse.SC_SEE_OTHER);
    response.setHeader(
        HttpHeaders.LOCATION, "/login?next=" + LoginPage.encode(LoginPage.localTarget(back)));
  }
}
