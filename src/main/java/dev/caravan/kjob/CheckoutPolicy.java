package dev.caravan.kjob;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which repositories {@code checkout=true} may clone, checked before any process or Job starts: the
 * transport must be one of the component option {@code checkoutAllowedSchemes} ({@code https},
 * {@code ssh} — {@code ssh://} and scp-like {@code git@host:path} —, {@code http}, {@code file} —
 * local paths and {@code file://}), the host one of {@code checkoutAllowedHosts} ({@code
 * github.com}, {@code *.example.com}, {@code *} for any), and unless {@code
 * checkoutAllowPrivateAddresses} the host must not resolve to a loopback, link-local, private,
 * unique-local, unspecified or otherwise internal address. Remote helpers ({@code ext::}, {@code
 * fd::}, {@code <transport>::}), {@code git://} and other transports are always refused. Without
 * this, an event could make Caravan's git fetch from internal services (a server-side request
 * forgery), read local repositories, or run commands.
 */
public final class CheckoutPolicy {

  public static final String DEFAULT_HOSTS = "github.com";
  public static final String DEFAULT_SCHEMES = "https,ssh";

  private static final Set<String> SCHEMES = Set.of("https", "ssh", "http", "file");
  private static final String LABEL = "[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?";
  private static final Pattern DNS_NAME =
      Pattern.compile("(?=.{1,253}$)" + LABEL + "(\\." + LABEL + ")*");
  private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-f:.]+(%[0-9a-z]+)?");
  private static final Pattern SCHEME_CHARS = Pattern.compile("[A-Za-z0-9+.-]+");

  /** Looks up a host's addresses (DNS); tests give their own. */
  @FunctionalInterface
  public interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  /**
   * Where a repository URL leads, as git reads it.
   *
   * @param transport git's protocol name ({@code https}, {@code http}, {@code ssh}, {@code file}),
   *     or what else it is ({@code ext::}, {@code git://}, ...)
   * @param host lower case, without brackets or a trailing dot; {@code null} for {@code file}
   */
  record Remote(String transport, String host) {}

  private final List<String> hosts;
  private final Set<String> schemes;
  private final boolean allowPrivateAddresses;
  private final Resolver resolver;

  private CheckoutPolicy(
      List<String> hosts, Set<String> schemes, boolean allowPrivateAddresses, Resolver resolver) {
    this.hosts = List.copyOf(hosts);
    this.schemes = Collections.unmodifiableSet(new LinkedHashSet<>(schemes));
    this.allowPrivateAddresses = allowPrivateAddresses;
    this.resolver = resolver;
  }

  /**
   * The policy the options describe, resolving hosts with DNS.
   *
   * @throws IllegalArgumentException naming the option whose value is invalid
   */
  public static CheckoutPolicy of(String hosts, String schemes, boolean allowPrivateAddresses) {
    return of(hosts, schemes, allowPrivateAddresses, InetAddress::getAllByName);
  }

  public static CheckoutPolicy of(
      String hosts, String schemes, boolean allowPrivateAddresses, Resolver resolver) {
    return new CheckoutPolicy(
        hostPatterns(hosts), schemeNames(schemes), allowPrivateAddresses, resolver);
  }

  /**
   * The one transport git may use for this repository ({@code protocol.<name>.allow=always}, all
   * others never): https, http, ssh or file; {@code none} for anything else, or what cannot be
   * parsed.
   */
  public static String gitProtocol(String repository) {
    try {
      String transport = parse(repository).transport();
      return SCHEMES.contains(transport) ? transport : "none";
    } catch (IllegalArgumentException e) {
      return "none";
    }
  }

  /**
   * Why this repository must not be cloned, or empty when it may be. The reason names the option
   * that would allow it; the repository in it is escaped ({@link LogSafe}).
   */
  public Optional<String> refusal(String repository) {
    String shown = "repository '" + LogSafe.escape(repository) + "'";
    Remote remote;
    try {
      remote = parse(repository);
    } catch (IllegalArgumentException e) {
      return Optional.of(shown + " " + e.getMessage());
    }
    String transport = remote.transport();
    if (!SCHEMES.contains(transport)) {
      return Optional.of(
          shown
              + " uses the transport "
              + transport
              + ", which checkout never allows (the kjob component option checkoutAllowedSchemes"
              + " allows https, ssh, http and file)");
    }
    if (!schemes.contains(transport)) {
      String what = transport.equals("file") ? "is local (a path or file://)" : "uses " + transport;
      return Optional.of(
          shown
              + " "
              + what
              + ", which the kjob component option checkoutAllowedSchemes ("
              + String.join(",", schemes)
              + ") does not allow");
    }
    if (transport.equals("file")) {
      return Optional.empty();
    }
    String host = remote.host();
    if (hosts.stream().noneMatch(pattern -> matches(pattern, host))) {
      return Optional.of(
          shown
              + " is on the host "
              + LogSafe.escape(host)
              + ", which the kjob component option checkoutAllowedHosts ("
              + String.join(",", hosts)
              + ") does not allow");
    }
    if (allowPrivateAddresses) {
      return Optional.empty();
    }
    InetAddress[] addresses;
    try {
      addresses = resolver.resolve(host);
    } catch (UnknownHostException | RuntimeException e) {
      return Optional.of(
          shown
              + ": the host "
              + LogSafe.escape(host)
              + " could not be resolved, so it cannot be checked for internal addresses (the kjob"
              + " component option checkoutAllowPrivateAddresses=true skips that check)");
    }
    for (InetAddress address : addresses) {
      if (isInternal(address)) {
        return Optional.of(
            shown
                + " is on the host "
                + LogSafe.escape(host)
                + ", which resolves to the internal address "
                + address.getHostAddress()
                + " (loopback, link-local, private, unique-local or unspecified); the kjob"
                + " component option checkoutAllowPrivateAddresses=true allows that");
      }
    }
    return Optional.empty();
  }

  /**
   * The transport and host of a repository as git reads it: {@code <scheme>://...}, {@code
   * <helper>::...}, a local path (no {@code :} before the first {@code /}), else scp-like {@code
   * [user@]host:path} (SSH).
   *
   * @throws IllegalArgumentException saying what is wrong with it
   */
  static Remote parse(String repository) {
    if (repository == null || repository.isEmpty()) {
      throw new IllegalArgumentException("is empty");
    }
    int helper = repository.indexOf("::");
    if (helper > 0 && SCHEME_CHARS.matcher(repository.substring(0, helper)).matches()) {
      return new Remote(repository.substring(0, helper).toLowerCase(Locale.ROOT) + "::", null);
    }
    int separator = repository.indexOf("://");
    if (separator > 0 && SCHEME_CHARS.matcher(repository.substring(0, separator)).matches()) {
      String scheme = repository.substring(0, separator).toLowerCase(Locale.ROOT);
      String rest = repository.substring(separator + 3);
      return switch (scheme) {
        case "file" -> new Remote("file", null);
        case "https", "http" -> new Remote(scheme, urlHost(rest));
        case "ssh", "git+ssh", "ssh+git" -> new Remote("ssh", urlHost(rest));
        default -> new Remote(scheme + "://", null);
      };
    }
    int colon = repository.indexOf(':');
    int slash = repository.indexOf('/');
    if (colon < 0 || (slash >= 0 && slash < colon)) {
      return new Remote("file", null);
    }
    // scp-like: [user@]host:path, or [host]:path
    String target = repository.substring(0, colon);
    if (target.startsWith("[")) {
      int close = repository.indexOf(']');
      if (close < 0 || repository.length() <= close + 1 || repository.charAt(close + 1) != ':') {
        throw new IllegalArgumentException("is neither a URL nor user@host:path");
      }
      target = repository.substring(1, close);
    }
    if (target.indexOf('@') >= 0) {
      target = target.substring(target.lastIndexOf('@') + 1);
    }
    return new Remote("ssh", host(target));
  }

  /** The host of a URL's authority ({@code [user@]host[:port]}), refusing ambiguous spellings. */
  private static String urlHost(String rest) {
    int end = rest.length();
    for (char terminator : new char[] {'/', '?', '#'}) {
      int at = rest.indexOf(terminator);
      if (at >= 0 && at < end) {
        end = at;
      }
    }
    String authority = rest.substring(0, end);
    if (authority.indexOf('\\') >= 0 || authority.indexOf('@') != authority.lastIndexOf('@')) {
      throw new IllegalArgumentException("has an ambiguous authority (a backslash or several @)");
    }
    String hostPort = authority.substring(authority.indexOf('@') + 1);
    String host;
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("has an unclosed [ in its host");
      }
      host = hostPort.substring(1, close);
      requirePort(hostPort.substring(close + 1));
      return ipv6(host);
    }
    int colon = hostPort.indexOf(':');
    host = colon < 0 ? hostPort : hostPort.substring(0, colon);
    if (colon >= 0) {
      requirePort(hostPort.substring(colon));
    }
    return host(host);
  }

  private static void requirePort(String port) {
    if (!port.isEmpty() && !port.matches(":[0-9]{0,5}")) {
      throw new IllegalArgumentException("has an invalid port");
    }
  }

  /** A DNS name or IPv4 address, lower case, without a trailing dot; else refused. */
  private static String host(String text) {
    if (text.startsWith("[") && text.endsWith("]")) {
      return ipv6(text.substring(1, text.length() - 1));
    }
    String host = text.toLowerCase(Locale.ROOT);
    if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException("names no host");
    }
    if (host.contains(":")) {
      return ipv6(host);
    }
    if (!DNS_NAME.matcher(host).matches()) {
      throw new IllegalArgumentException("has an invalid host name");
    }
    String last = host.substring(host.lastIndexOf('.') + 1);
    if ((last.chars().allMatch(Character::isDigit) || last.startsWith("0x"))
        && !IPV4.matcher(host).matches()) {
      // 2130706433, 127.1, 0x7f.1, 0177.0.0.1: read differently by different resolvers
      throw new IllegalArgumentException(
          "has an ambiguous numeric host (write IPv4 addresses as four decimal numbers)");
    }
    return host;
  }

  private static String ipv6(String text) {
    String host = text.toLowerCase(Locale.ROOT);
    if (!IPV6.matcher(host).matches() || !host.contains(":")) {
      throw new IllegalArgumentException("has an invalid IPv6 address");
    }
    return host;
  }

  private static boolean matches(String pattern, String host) {
    if (pattern.equals("*")) {
      return true;
    }
    if (pattern.startsWith("*.")) {
      return host.endsWith(pattern.substring(1));
    }
    return pattern.equals(host);
  }

  /**
   * Loopback, link-local (cloud metadata services live there), private or site-local, unique-local,
   * unspecified, multicast, shared (100.64.0.0/10) and reserved addresses, also inside IPv4-mapped,
   * IPv4-compatible, 6to4 and NAT64 IPv6 addresses.
   */
  static boolean isInternal(InetAddress address) {
    if (address.isLoopbackAddress()
        || address.isLinkLocalAddress()
        || address.isSiteLocalAddress()
        || address.isAnyLocalAddress()
        || address.isMulticastAddress()) {
      return true;
    }
    byte[] bytes = address.getAddress();
    if (address instanceof Inet4Address) {
      int first = bytes[0] & 0xff;
      int second = bytes[1] & 0xff;
      return first == 0
          || first >= 240
          || (first == 100 && (second & 0xc0) == 64)
          || (first == 192 && second == 0 && (bytes[2] & 0xff) == 0)
          || (first == 198 && (second & 0xfe) == 18);
    }
    if (address instanceof Inet6Address) {
      if ((bytes[0] & 0xfe) == 0xfc) {
        return true; // fc00::/7
      }
      byte[] embedded = embeddedIpv4(bytes);
      if (embedded != null) {
        try {
          return isInternal(InetAddress.getByAddress(embedded));
        } catch (UnknownHostException e) {
          return true;
        }
      }
    }
    return false;
  }

  /** The IPv4 address inside ::a.b.c.d, ::ffff:a.b.c.d, 64:ff9b::a.b.c.d or 2002:aabb:ccdd::. */
  private static byte[] embeddedIpv4(byte[] v6) {
    boolean zeroPrefix = allZero(v6, 0, 10);
    if (zeroPrefix && ((v6[10] == 0 && v6[11] == 0) || (v6[10] == -1 && v6[11] == -1))) {
      return Arrays.copyOfRange(v6, 12, 16);
    }
    if (v6[0] == 0 && v6[1] == 0x64 && v6[2] == (byte) 0xff && v6[3] == (byte) 0x9b) {
      return Arrays.copyOfRange(v6, 12, 16);
    }
    if (v6[0] == 0x20 && v6[1] == 0x02) {
      return Arrays.copyOfRange(v6, 2, 6);
    }
    return null;
  }

  private static boolean allZero(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static List<String> hostPatterns(String option) {
    List<String> patterns = new ArrayList<>();
    for (String entry : split(option)) {
      String pattern = entry.toLowerCase(Locale.ROOT);
      boolean valid;
      if (pattern.equals("*")) {
        valid = true;
      } else {
        String name = pattern.startsWith("*.") ? pattern.substring(2) : pattern;
        try {
          valid =
              host(name).equals(name.endsWith(".") ? name.substring(0, name.length() - 1) : name);
        } catch (IllegalArgumentException e) {
          valid = false;
        }
      }
      if (!valid) {
        throw new IllegalArgumentException(
            "Invalid kjob component option checkoutAllowedHosts="
                + option
                + ": '"
                + LogSafe.escape(entry)
                + "' is no host name, *.domain or *");
      }
      patterns.add(pattern.endsWith(".") ? pattern.substring(0, pattern.length() - 1) : pattern);
    }
    return patterns;
  }

  private static Set<String> schemeNames(String option) {
    Set<String> names = new LinkedHashSet<>();
    for (String entry : split(option)) {
      String name = entry.toLowerCase(Locale.ROOT);
      if (!SCHEMES.contains(name)) {
        throw new IllegalArgumentException(
            "Invalid kjob component option checkoutAllowedSchemes="
                + option
                + ": '"
                + LogSafe.escape(entry)
                + "' is not one of https, ssh, http and file");
      }
      names.add(name);
    }
    return names;
  }

  private static List<String> split(String option) {
    if (option == null || option.isBlank()) {
      return List.of();
    }
    return Arrays.stream(option.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  @Override
  public String toString() {
    return "checkoutAllowedHosts="
        + String.join(",", hosts)
        + ", checkoutAllowedSchemes="
        + String.join(",", schemes)
        + ", checkoutAllowPrivateAddresses="
        + allowPrivateAddresses;
  }
}
