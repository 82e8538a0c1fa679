package dev.caravan.app;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The host names Caravan answers to, against DNS rebinding (a page of {@code evil.example} whose
 * name then resolves to Caravan's address would otherwise be served as if it were Caravan's own):
 * {@code localhost}, any IP literal (a page can only be served from an IP-literal origin by that
 * address itself; probes send the pod IP), the host of {@code caravan.api.public-url} and those of
 * {@code caravan.security.allowed-hosts} ({@code *} for any).
 */
final class AllowedHosts implements Predicate<String> {

  static final String SETTING = "caravan.security.allowed-hosts";

  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-f:.]+");
  private static final Pattern HOST_NAME =
      Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");

  private final boolean any;
  private final Set<String> names;

  private AllowedHosts(boolean any, Set<String> names) {
    this.any = any;
    this.names = Set.copyOf(names);
  }

  /**
   * @param publicUrl {@code caravan.api.public-url}; its host is allowed
   * @param allowedHosts {@code caravan.security.allowed-hosts}: comma-separated host names, or
   *     {@code *}
   * @throws IllegalArgumentException naming the setting, for a public URL without a host or an
   *     entry that is not a host name
   */
  static AllowedHosts of(String publicUrl, String allowedHosts) {
    Set<String> names = new HashSet<>(Set.of("localhost"));
    if (publicUrl != null && !publicUrl.isBlank()) {
      names.add(publicUrlHost(publicUrl));
    }
    boolean any = false;
    for (String entry : allowedHosts == null ? new String[0] : allowedHosts.split(",")) {
      String host = entry.strip();
      if (host.equals("*")) {
        any = true;
      } else if (!host.isEmpty()) {
        String name = normalize(host);
        if (!HOST_NAME.matcher(name).matches() && !isIpLiteral(name)) {
          throw new IllegalArgumentException(
              SETTING
                  + ": '"
                  + host
                  + "' is not a host name (give names only: no scheme, port or path)");
        }
        names.add(name);
      }
    }
    return new AllowedHosts(any, names);
  }

  private static String publicUrlHost(String publicUrl) {
    String host;
    try {
      host = URI.create(publicUrl.strip()).getHost();
    } catch (IllegalArgumentException e) {
      host = null;
    }
    if (host == null) {
      throw new IllegalArgumentException(
          "caravan.api.public-url: '" + publicUrl + "' is not an absolute URL with a host");
    }
    return normalize(host);
  }

  /** Whether a request naming this host (its {@code Host} header, without the port) is served. */
  @Override
  public boolean test(String serverName) {
    if (any) {
      return true;
    }
    if (serverName == null || serverName.isEmpty()) {
      return false;
    }
    String host = normalize(serverName);
    return names.contains(host) || isIpLiteral(host);
  }

  /** Lower case, without IPv6 brackets and without the trailing dot of a fully qualified name. */
  private static String normalize(String host) {
    String name = host.toLowerCase(Locale.ROOT);
    if (name.startsWith("[") && name.endsWith("]")) {
      name = name.substring(1, name.length() - 1);
    }
    return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
  }

  private static boolean isIpLiteral(String host) {
    if (IPV4.matcher(host).matches()) {
      return true;
    }
    if (!host.contains(":") || !IPV6.matcher(host).matches()) {
      return false;
    }
    try {
      // in brackets, InetAddress parses an IPv6 literal and never asks DNS
      InetAddress.getByName("[" + host + "]");
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
