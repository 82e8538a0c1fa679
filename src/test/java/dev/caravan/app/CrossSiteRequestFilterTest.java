package dev.caravan.app;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

class CrossSiteRequestFilterTest {

  private final CrossSiteRequestFilter filter =
      new CrossSiteRequestFilter(
          request -> request.getRequestURI().startsWith("/events/"),
          WebOrigin.parse("https://caravan.example.com"),
          new SecurityAnswers());

  /** The status the filter answers, or 0 when it passes the request on. */
  private int answer(String method, String path, String... headers) throws Exception {
    MockHttpServletRequest request = new MockHttpServletRequest(method, path);
    request.setServerName("127.0.0.1");
    request.setServerPort(8080);
    for (int i = 0; i < headers.length; i += 2) {
      request.addHeader(headers[i], headers[i + 1]);
    }
    MockHttpServletResponse response = new MockHttpServletResponse();
    MockFilterChain chain = new MockFilterChain();
    filter.doFilter(request, response, chain);
    return chain.getRequest() == null ? response.getStatus() : 0;
  }

  @Test
  void refusesUnsafeRequestsFromOtherSites() throws Exception {
    for (String method : new String[] {"POST", "PUT", "PATCH", "DELETE"}) {
      assertThat(answer(method, "/api/runs/1/cancel", "Origin", "http://evil.example"))
          .isEqualTo(403);
      assertThat(answer(method, "/api/runs/1/cancel", "Sec-Fetch-Site", "cross-site"))
          .isEqualTo(403);
    }
    assertThat(answer("POST", "/x", "Sec-Fetch-Site", "same-site")).isEqualTo(403);
    assertThat(answer("POST", "/x", "Origin", "null")).isEqualTo(403);
    assertThat(answer("POST", "/x", "Origin", "http://127.0.0.1:8081")).isEqualTo(403);
    assertThat(answer("POST", "/x", "Origin", "https://127.0.0.1:8080")).isEqualTo(403);
    assertThat(answer("POST", "/x", "Origin", "http://caravan.example.com")).isEqualTo(403);
    assertThat(answer("POST", "/x", "Origin", "::")).isEqualTo(403);
  }

  @Test
  void passesSameOriginRequestsReadsAndOpenPaths() throws Exception {
    assertThat(answer("POST", "/x")).isZero();
    assertThat(answer("POST", "/x", "Origin", "http://127.0.0.1:8080")).isZero();
    assertThat(answer("POST", "/x", "Origin", "HTTP://127.0.0.1:8080")).isZero();
    assertThat(answer("POST", "/x", "Origin", "https://caravan.example.com")).isZero();
    assertThat(answer("POST", "/x", "Origin", "https://caravan.example.com:443")).isZero();
    assertThat(answer("POST", "/x", "Sec-Fetch-Site", "same-origin")).isZero();
    assertThat(answer("POST", "/x", "Sec-Fetch-Site", "none")).isZero();
    assertThat(answer("GET", "/x", "Origin", "http://evil.example")).isZero();
    assertThat(answer("HEAD", "/x", "Sec-Fetch-Site", "cross-site")).isZero();
    assertThat(answer("OPTIONS", "/x", "Sec-Fetch-Site", "cross-site")).isZero();
    assertThat(answer("POST", "/events/github", "Origin", "http://evil.example")).isZero();
  }
}
