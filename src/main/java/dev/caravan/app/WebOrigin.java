package dev.caravan.app;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/** A web origin, scheme://host:port with the default port filled in, as browsers compare them. */
record WebOrigin(String scheme, String host, int port) {

  WebOrigin {
    scheme = scheme.toLowerCase(Locale.ROOT);
    host = host.toLowerCase(Locale.ROOT);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (port < 0) {
      port = scheme.equals("https") ? 443 : 80;
    }
  }

  /**
   * The origin of an {@code Origin} header or a URL, or null when it has none ({@code null}, opaque
   * origins, text that is no URL).
   */
  static WebOrigin parse(String url) {
    if (url == null) {
      return null;
    }
    try {
      URI uri = new URI(url.strip());
      if (uri.getScheme() == null || uri.getHost() == null) {
        return null;
      }
      return new WebOrigin(uri.getScheme(), uri.getHost(), uri.getPort());
    } catch (URISyntaxException e) {
      return null;
    }
  }
}
