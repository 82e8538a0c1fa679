package dev.caravan.app;

import dev.caravan.dashboard.PageFiles;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/** The login page's file, and where a login may send the browser next. */
final class LoginPage {

  private static final byte[] PAGE = PageFiles.load("static/ui/login.html");

  private LoginPage() {}

  static ResponseEntity<byte[]> answer() {
    return ResponseEntity.ok()
        .contentType(new MediaType(MediaType.TEXT_HTML, StandardCharsets.UTF_8))
        .cacheControl(CacheControl.noStore())
        .body(PAGE);
  }

  /**
   * A path of this site to go to after the login, or {@code /}: never another site ({@code //host},
   * {@code /\host}, {@code https://...}), so the login cannot be made an open redirect.
   */
  static String localTarget(String next) {
    if (next == null
        || !next.startsWith("/")
        || next.startsWith("//")
        || next.contains("\\")
        || next.chars().anyMatch(c -> c < 0x21 || c > 0x7e)
        || next.startsWith("/login")) {
      return "/";
    }
    return next;
  }

  static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
