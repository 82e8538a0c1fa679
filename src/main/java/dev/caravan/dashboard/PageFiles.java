package dev.caravan.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/** The dashboard's page files, {@code static/ui/<name>.html} on the class path, read once. */
@Component
class PageFiles {

  private final Map<String, byte[]> read = new ConcurrentHashMap<>();

  byte[] read(String name) {
    return read.computeIfAbsent(name, PageFiles::load);
  }

  private static byte[] load(String name) {
    String path = "static/ui/" + name + ".html";
    try (InputStream in = PageFiles.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("the dashboard page " + path + " is missing");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
