package dev.caravan.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Path segments of the REST API built from what the user typed. */
final class Paths {

  private Paths() {}

  /** {@code value} as one path segment: everything but unreserved characters percent-encoded. */
  static String segment(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
