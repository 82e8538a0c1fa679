package dev.caravan.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * How Caravan's writes reach a database, found once from its URL and settings.
 *
 * <p>On an embedded H2, writes that arrive together share a commit ({@link GroupCommit}). An H2
 * file store (embedded, or a server's over TCP or {@code AUTO_SERVER}) with a write delay (H2's
 * default, 500 ms) commits in memory and leaves the file to its background writer, which also
 * compacts the file; so each write is followed by a {@code CHECKPOINT}, which writes the changes to
 * the file before the write returns. An H2 with {@code WRITE_DELAY=0} writes every commit itself
 * but never compacts: its file keeps every chunk that still holds a live row.
 */
record Commits(boolean grouped, boolean checkpoint) {

  static final Commits PLAIN = new Commits(false, false);

  static Commits of(Connection connection) throws SQLException {
    String url = connection.getMetaData().getURL().toUpperCase(Locale.ROOT);
    boolean h2File = url.startsWith("JDBC:H2:") && !url.startsWith("JDBC:H2:MEM:");
    Commits commits = new Commits(GroupCommit.suits(url), h2File && writeDelay(connection) > 0);
    if (commits.checkpoint) {
      commits.checkpointOrExplain(connection);
    }
    return commits;
  }

  /** Commits the connection's transaction and, where needed, writes it to the file. */
  void commit(Connection connection) throws SQLException {
    connection.commit();
    if (checkpoint) {
      checkpoint(connection);
    }
  }

  private static void checkpoint(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute("CHECKPOINT");
    }
  }

  private void checkpointOrExplain(Connection connection) {
    try {
      checkpoint(connection);
    } catch (SQLException e) {
      throw new StoreException(
          "The embedded H2 store writes its commits to the file with CHECKPOINT, which needs an"
              + " admin user (the user who created the database, e.g. sa): "
              + e.getMessage(),
          e);
    }
  }

  private static int writeDelay(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery(
                "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
                    + " WHERE SETTING_NAME = 'WRITE_DELAY'")) {
      return rows.next() ? Integer.parseInt(rows.getString(1).trim()) : 0;
    }
  }
}
