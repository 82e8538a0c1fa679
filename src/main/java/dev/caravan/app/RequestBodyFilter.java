package dev.caravan.app;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Guards request bodies before Camel reads them: a body over the limit gets 413 without being read
 * (declared length) or after reading one byte past the limit (chunked); a form-encoded body that is
 * not {@code key=value} pairs gets 400 instead of platform-http's 500.
 */
class RequestBodyFilter extends OncePerRequestFilter {

  private static final Pattern FORM =
      Pattern.compile("([^=&]+=[^&]*)(&[^=&]+=[^&]*)*&?", Pattern.DOTALL);

  private final long maxBytes;

  RequestBodyFilter(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    if (request.getContentLengthLong() > maxBytes) {
      reject(response, 413, "payload too large", "the body must not exceed " + maxBytes + " bytes");
      return;
    }
    boolean chunked = request.getContentLengthLong() < 0 && hasBody(request);
    boolean form =
        request.getContentType() != null
            && request
                .getContentType()
                .toLowerCase()
                .startsWith("application/x-www-form-urlencoded");
    if (!chunked && !form) {
      chain.doFilter(request, response);
      return;
    }
    byte[] body =
        request.getInputStream().readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE));
    if (body.length > maxBytes) {
      response.setHeader("Connection", "close");
      reject(response, 413, "payload too large", "the body must not exceed " + maxBytes + " bytes");
      return;
    }
    if (form
        && body.length > 0
        && !FORM.matcher(new String(body, StandardCharsets.ISO_8859_1)).matches()) {
      reject(
          response,
          400,
          "bad request",
          "a form-encoded body must be key=value pairs; send other text as text/plain");
      return;
    }
    chain.doFilter(new CachedBodyRequest(request, body), response);
  }

  private static boolean hasBody(HttpServletRequest request) {
    return request.getHeader("Transfer-Encoding") != null;
  }

  private static void reject(HttpServletResponse response, int status, String error, String detail)
      throws IOException {
    response.setStatus(status);
    response.setContentType("application/json");
    response
        .getOutputStream()
        .write(
            ("{\"error\":\"" + error + "\",\"detail\":\"" + detail + "\"}")
                .getBytes(StandardCharsets.UTF_8));
  }

  /** The request with its body already read into memory. */
  private static final class CachedBodyRequest extends HttpServletRequestWrapper {
    private final byte[] body;

    CachedBodyRequest(HttpServletRequest request, byte[] body) {
      super(request);
      this.body = body;
    }

    @Override
    public int getContentLength() {
      return body.length;
    }

    @Override
    public long getContentLengthLong() {
      return body.length;
    }

    @Override
    public ServletInputStream getInputStream() {
      ByteArrayInputStream in = new ByteArrayInputStream(body);
      return new ServletInputStream() {
        @Override
        public int read() {
          return in.read();
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
          return in.read(buffer, offset, length);
        }

        @Override
        public boolean isFinished() {
          return in.available() == 0;
        }

        @Override
        public boolean isReady() {
          return true;
        }

        @Override
        public void setReadListener(ReadListener listener) {
          throw new UnsupportedOperationException("the body is already in memory");
        }
      };
    }

    @Override
    public java.io.BufferedReader getReader() {
      return new java.io.BufferedReader(
          new java.io.InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
    }
  }
}
