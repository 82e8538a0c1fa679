package dev.caravan.event;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.caravan.store.Database;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Stored durably" means: once the producer returned, the event survives a SIGKILL of the JVM.
 *
 * <p>A child JVM ({@link EventWriterMain}) publishes events on an H2 file database and reports each
 * one as soon as the producer returned; the test kills it with SIGKILL mid-stream and checks every
 * reported event (and its run) is in the database. Two rounds on the same database.
 *
 * <p>{@code -Dcaravan.durability.h2Settings=...} runs it with other H2 settings. The control, a
 * commit that is not yet in the file when it returns, is {@code CommitsTest}'s.
 */
class EventDurabilityIT {

  private static final int REPORTED_BEFORE_KILL = 20;
  private static final long CHILD_START_SECONDS = 30;
  private static final String EOF = "\u0000eof";

  @TempDir Path dir;

  @Test
  void everyEventReportedAsStoredSurvivesASigkillRightAfterTheProducerReturned() throws Exception {
    String jdbcUrl =
        "jdbc:h2:file:"
            + dir.resolve("events")
            + System.getProperty("caravan.durability.h2Settings", Database.H2_FILE_SETTINGS);
    int next = 0;
    for (int round = 1; round <= 2; round++) {
      Round killed = publishAndKill(jdbcUrl, next, round);

      assertThat(killed.reported())
          .as("ids the child reported, contiguous from e-%d; child log:%n%s", next, killed.log())
          .hasSizeGreaterThanOrEqualTo(REPORTED_BEFORE_KILL)
          .containsExactlyElementsOf(
              IntStream.range(next, next + killed.reported().size())
                  .mapToObj(i -> "e-" + i)
                  .toList());
      assertThat(killed.exitCode()).as("killed by SIGKILL").isEqualTo(128 + 9);
      assertThat(lost(jdbcUrl, killed.reported()))
          .as("round %d: events reported as stored but missing after SIGKILL", round)
          .isEmpty();
      System.out.printf(
          "round %d: all %d events the child reported (up to %s) survived its SIGKILL%n",
          round, killed.reported().size(), killed.reported().get(killed.reported().size() - 1));
      next += killed.reported().size();
    }
  }

  private record Round(List<String> reported, int exitCode, String log) {}

  /**
   * Starts the child from event {@code e-<first>}, SIGKILLs it as soon as it reported {@link
   * #REPORTED_BEFORE_KILL} events, and returns everything it reported before it died.
   */
  private Round publishAndKill(String jdbcUrl, int first, int round) throws Exception {
    Path log = dir.resolve("child-" + round + ".log");
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                EventWriterMain.class.getName(),
                jdbcUrl,
                String.valueOf(first))
            .redirectError(log.toFile())
            .start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> readLines(child, lines), "child-stdout-" + round);
    reader.start();
    List<String> reported = new ArrayList<>();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_START_SECONDS);
      while (reported.size() < REPORTED_BEFORE_KILL) {
        String line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (line == null || line.equals(EOF)) {
          throw new AssertionError(
              "the child reported only "
                  + reported
                  + " before "
                  + (line == null ? "timeout" : "it exited")
                  + ":\n"
                  + tail(log));
        }
        reportedId(line).ifPresent(reported::add);
      }
    } finally {
      child.destroyForcibly(); // SIGKILL, right after a producer returned
    }
    assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
    reader.join(TimeUnit.SECONDS.toMillis(10));
    // lines the child wrote before it died: their producer calls had returned too
    for (String line = lines.poll(); line != null && !line.equals(EOF); line = lines.poll()) {
      reportedId(line).ifPresent(reported::add);
    }
    return new Round(reported, child.exitValue(), tail(log));
  }

  /** An id the child reported as stored ("duplicate" means stored by the previous round). */
  private static Optional<String> reportedId(String line) {
    if (line.startsWith("stored ") || line.startsWith("duplicate ")) {
      return Optional.of(line.substring(line.indexOf(' ') + 1));
    }
    if (line.startsWith("failed ")) {
      throw new AssertionError("the child could not publish: " + line);
    }
    return Optional.empty();
  }

  private static void readLines(Process child, BlockingQueue<String> lines) {
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        lines.add(line);
      }
    } catch (IOException e) {
      lines.add("read error " + e);
    } finally {
      lines.add(EOF);
    }
  }

  /** Reported ids whose event, or whose delivery to the child's pipeline, is not in the store. */
  private static List<String> lost(String jdbcUrl, List<String> reported) throws SQLException {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setUsername("sa");
    config.setPassword("");
    config.setMaximumPoolSize(1);
    try (HikariDataSource database = new HikariDataSource(config)) {
      Set<String> delivered = new HashSet<>();
      try (Connection connection = database.getConnection()) {
        try (ResultSet tables =
            connection.getMetaData().getTables(null, null, "CARAVAN_RUN", null)) {
          if (!tables.next()) {
            return reported.stream().map(id -> id + " (the database has no schema)").toList();
          }
        }
        try (PreparedStatement query =
            connection.prepareStatement("SELECT event_id FROM caravan_run WHERE pipeline = ?")) {
          query.setString(1, EventWriterMain.SUBSCRIBER);
          try (ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
              delivered.add(rows.getString(1));
            }
          }
        }
      }
      List<String> lost = new ArrayList<>();
      for (String id : reported) {
        Optional<Event> event;
        try (Connection connection = database.getConnection()) {
          event = JdbcEventStore.find(connection, id);
        }
        String expectedData = "{\"n\":" + id.substring("e-".length()) + "}";
        if (event.isEmpty()) {
          lost.add(id);
        } else if (!expectedData.equals(event.get().data()) || !delivered.contains(id)) {
          lost.add(
              id + " (incomplete: " + event.get() + ", delivery " + delivered.contains(id) + ")");
        }
      }
      return lost;
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no child log: " + e + ")";
    }
  }
}
