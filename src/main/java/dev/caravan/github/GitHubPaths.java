package dev.caravan.github;

import java.net.URI;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Checks of the event data that becomes part of a GitHub API path (repository, commit) or a link
 * GitHub shows (target and details URLs), shared by {@link CommitStatus} and {@link CheckRuns}.
 * Each error names where the value came from ({@code source}), never anything secret.
 */
final class GitHubPaths {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,100}");
  private static final Pattern COMMIT = Pattern.compile("[0-9a-fA-F]{40}|[0-9a-fA-F]{64}");

  private GitHubPaths() {}

  /** Owner and name, each of letters, digits, {@code _ . -}, neither {@code .} nor {@code ..}. */
  static String[] repository(String repository, String source) {
    String[] parts = repository == null ? new String[0] : repository.split("/", -1);
    if (parts.length != 2 || !validName(parts[0]) || !validName(parts[1])) {
      throw new IllegalArgumentException(
          "the repository (" + source + ") must be owner/name of letters, digits, _ . -");
    }
    return parts;
  }

  /** A commit id: 40 (SHA-1) or 64 (SHA-256) hexadecimal digits. */
  static String commit(String sha, String source) {
    if (sha == null || !COMMIT.matcher(sha).matches()) {
      throw new IllegalArgumentException(
          "the commit (" + source + ") must be 40 or 64 hexadecimal digits");
    }
    return sha;
  }

  /** An absolute http(s) URL with a host; {@code what} names it in the error. */
  static String httpUrl(String value, String what) {
    URI uri;
    try {
      uri = URI.create(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + " is not a URL", e);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
      throw new IllegalArgumentException(what + " must be an http(s) URL");
    }
    return value;
  }

  private static boolean validName(String name) {
    return NAME.matcher(name).matches() && !name.equals(".") && !name.equals("..");
  }
}
