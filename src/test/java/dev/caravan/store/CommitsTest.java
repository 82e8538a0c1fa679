package dev.caravan.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is in an H2 file store's file when a write returns: a copy of the file taken right then
 * (what a SIGKILL would leave) is opened as a database of its own.
 */
class CommitsTest {

  /** Long enough that H2's background writer does not write the file during the test. */
  private static final String LAZY_H2 = ";WRITE_DELAY=60000";

  @TempDir Path dir;
  private JdbcDataSource dataSource;
  private Connection keepOpen;

  @BeforeEach
  void database() throws SQLException {
    dataSource = h2(dir.resolve("store") + LAZY_H2);
    keepOpen = dataSource.getConnection();
    try (Statement statement = keepOpen.createStatement()) {
      statement.execute("CREATE TABLE item (name VARCHAR(64) PRIMARY KEY)");
      statement.execute("CHECKPOINT");
    }
  }

  @AfterEach
  void close() throws SQLException {
    keepOpen.close();
  }

  @Test
  void aWriteIsInTheFileWhenItReturnsThoughH2DelaysItsOwnWrites() throws Exception {
    Jdbc jdbc = new Jdbc(dataSource);
    jdbc.write(connection -> insert(connection, "written"));

    assertThat(namesInACopyOfTheFile()).containsExactly("written");
  }

  @Test
  void aPlainTransactionIsLeftToH2sBackgroundWriter() throws Exception {
    // the control: without the checkpoint, the same file does not hold the committed row yet
    Jdbc jdbc = new Jdbc(dataSource);
    jdbc.inTransaction(connection -> insert(connection, "committed"));

    assertThat(names(dataSource)).containsExactly("committed");
    assertThat(namesInACopyOfTheFile()).isEmpty();
  }

  @Test
  void checkpointsOnlyWhereH2DelaysItsOwnWrites() throws SQLException {
    try (Connection connection = h2(dir.resolve("eager") + ";WRITE_DELAY=0").getConnection()) {
      assertThat(Commits.of(connection)).isEqualTo(new Commits(true, false));
    }
    try (Connection connection = h2(dir.resolve("lazy") + LAZY_H2).getConnection()) {
      assertThat(Commits.of(connection)).isEqualTo(new Commits(true, true));
    }
  }

  @Test
  void aUserWhoMayNotCheckpointIsRefusedNamingWhatItNeeds() throws SQLException {
    try (Statement statement = keepOpen.createStatement()) {
      statement.execute("CREATE USER writer PASSWORD 'w'");
      statement.execute("GRANT ALL ON item TO writer");
    }
    // the database is open in this JVM already, with its write delay (setting it needs an admin)
    JdbcDataSource asWriter = h2(dir.resolve("store").toString());
    asWriter.setUser("writer");
    asWriter.setPassword("w");

    assertThatThrownBy(() -> new Jdbc(asWriter).write(connection -> insert(connection, "x")))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("CHECKPOINT")
        .hasMessageContaining("admin user");
  }

  private List<String> namesInACopyOfTheFile() throws Exception {
    Path copy = Files.createDirectories(dir.resolve("copy-" + System.nanoTime()));
    Files.copy(dir.resolve("store.mv.db"), copy.resolve("store.mv.db"));
    return names(h2(copy.resolve("store").toString()));
  }

  private static JdbcDataSource h2(String path) {
    JdbcDataSource dataSource = new JdbcDataSource();
    dataSource.setURL("jdbc:h2:file:" + path);
    dataSource.setUser("sa");
    return dataSource;
  }

  private static Integer insert(Connection connection, String name) throws SQLException {
    try (PreparedStatement insert = connection.prepareStatement("INSERT INTO item VALUES (?)")) {
      insert.setString(1, name);
      return insert.executeUpdate();
    }
  }

  private static List<String> names(JdbcDataSource dataSource) throws SQLException {
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT name FROM item ORDER BY name")) {
      List<String> names = new ArrayList<>();
      while (rows.next()) {
        names.add(rows.getString(1));
      }
      return names;
    }
  }
}
