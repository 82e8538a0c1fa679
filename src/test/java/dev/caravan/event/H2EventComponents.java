package dev.caravan.event;

import dev.caravan.store.Database;
import java.nio.file.Path;

/**
 * Event components on H2 for tests, all built one way: the given database, polled every {@value
 * #POLL_INTERVAL_MILLIS} ms (the component's default is 5 s) so that deliveries start soon after an
 * event is stored. Callers may still adjust what they return (another poll interval, a DataSource
 * of their own) before adding it to a context as {@code event}.
 */
public final class H2EventComponents {

  /** How often the components built here poll for deliveries. */
  public static final long POLL_INTERVAL_MILLIS = 100;

  private H2EventComponents() {}

  /** On the H2 file database {@code <directory>/<name>}; see {@link #fileUrl(Path, String)}. */
  public static EventComponent onFile(Path directory, String name) {
    return at(fileUrl(directory, name));
  }

  /** On the named in-memory H2 database, kept until the JVM ends. */
  public static EventComponent inMemory(String name) {
    return at("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1");
  }

  /** On the database at the given JDBC URL. */
  public static EventComponent at(String jdbcUrl) {
    EventComponent events = new EventComponent();
    events.setJdbcUrl(jdbcUrl);
    events.setPollInterval(POLL_INTERVAL_MILLIS);
    return events;
  }

  /**
   * The URL of the H2 file database {@code <directory>/<name>} with the default settings (each
   * write in the file when it returns), for a test's own look at the database or a child JVM.
   */
  public static String fileUrl(Path directory, String name) {
    return "jdbc:h2:file:" + directory.resolve(name) + Database.H2_FILE_SETTINGS;
  }
}
