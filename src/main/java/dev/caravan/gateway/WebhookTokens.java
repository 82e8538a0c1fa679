package dev.caravan.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.camel.spi.PropertiesComponent;

/**
 * The bearer tokens of generic webhooks: the property {@code caravan.webhook.tokens.<name>}, else
 * the file {@code <name>} in the directory {@code caravan.webhook.token-dir} (as a mounted
 * Kubernetes Secret provides). The directory is looked at on every request, so a token file added,
 * changed or removed while Caravan runs takes effect at once; a file is read again only when its
 * modification time, size or identity changed. A token is never logged.
 */
final class WebhookTokens {

  /** Prefix of the token properties; the webhook's name follows it. */
  static final String TOKEN_PROPERTY = "caravan.webhook.tokens.";

  /**
   * Directory of token files. Not {@code tokens-dir}: under Spring Boot {@code
   * CARAVAN_WEBHOOK_TOKENS_DIR} would also be the token of a webhook named {@code dir}.
   */
  static final String DIR_PROPERTY = "caravan.webhook.token-dir";

  private final ConcurrentMap<Path, CachedFile> files = new ConcurrentHashMap<>();

  private record CachedFile(FileTime modified, long size, Object key, String token) {
    boolean isOf(BasicFileAttributes attributes) {
      return modified.equals(attributes.lastModifiedTime())
          && size == attributes.size()
          && Objects.equals(key, attributes.fileKey());
    }
  }

  /** The token of the webhook (a validated name), if one is configured. */
  Optional<String> token(PropertiesComponent properties, String name) {
    Optional<String> configured =
        properties.resolveProperty(TOKEN_PROPERTY + name).filter(value -> !value.isBlank());
    if (configured.isPresent()) {
      return configured;
    }
    return properties
        .resolveProperty(DIR_PROPERTY)
        .filter(dir -> !dir.isBlank())
        .flatMap(dir -> fromFile(Path.of(dir.trim()).resolve(name)));
  }

  private Optional<String> fromFile(Path file) {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      files.remove(file);
      return Optional.empty();
    } catch (IOException e) {
      throw unreadable();
    }
    if (!attributes.isRegularFile()) {
      files.remove(file);
      return Optional.empty();
    }
    CachedFile cached = files.get(file);
    if (cached == null || !cached.isOf(attributes)) {
      String token;
      try {
        token = stripTrailingNewline(Files.readString(file, StandardCharsets.UTF_8));
      } catch (NoSuchFileException e) {
        files.remove(file);
        return Optional.empty();
      } catch (IOException e) {
        throw unreadable();
      }
      cached =
          new CachedFile(
              attributes.lastModifiedTime(), attributes.size(), attributes.fileKey(), token);
      files.put(file, cached);
    }
    return Optional.of(cached.token()).filter(token -> !token.isBlank());
  }

  private static String stripTrailingNewline(String content) {
    if (content.endsWith("\r\n")) {
      return content.substring(0, content.length() - 2);
    }
    return content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
  }

  private static GatewayException unreadable() {
    return new GatewayException(
        503,
        "service unavailable",
        "the token file of this webhook cannot be read; check the permissions of the directory set"
            + " by CARAVAN_WEBHOOK_TOKEN_DIR");
  }

  /** What the answer for a name without a token says: which setting gives it one. */
  static String howToConfigure(String name) {
    return "no webhook is configured under this name: set its token in the environment variable "
        + "CARAVAN_WEBHOOK_TOKENS_"
        + name.toUpperCase(Locale.ROOT).replace('-', '_')
        + " (property "
        + TOKEN_PROPERTY
        + name
        + ", read at start), or in a file named "
        + name
        + " in the directory set by CARAVAN_WEBHOOK_TOKEN_DIR (property "
        + DIR_PROPERTY
        + ", read on every request, no restart)";
  }
}
