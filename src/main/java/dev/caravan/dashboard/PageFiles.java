package dev.caravan.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * The dashboard's pages: one shell, {@code dashboard/page.html} on the class path, that loads the
 * page's own script {@code /ui/<name>.js}; each page made once.
 */
@Component
public class PageFiles {

  private final String shell = new String(load("dashboard/page.html"), StandardCharsets.UTF_8);
  private final Map<String, byte[]> pages = new ConcurrentHashMap<>();

  byte[] read(String name) {
    return pages.computeIfAbsent(
        name, page -> shell.replace("{{page}}", page).getBytes(StandardCharsets.UTF_8));
  }

  /** A file of the dashboard's, from the class path. */
  public static byte[] load(String path) {
    try (InputStream in = PageFiles.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("the dashboard file " + path + " is missing");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
