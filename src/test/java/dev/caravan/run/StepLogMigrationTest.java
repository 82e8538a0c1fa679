package dev.caravan.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Version 3 of the schema moves the logs of version 2 into chunks, on H2. */
class StepLogMigrationTest {

  @TempDir Path dir;

  @Test
  void logsStoredBeforeVersion3AreReadFromTheirChunksAfterIt() throws Exception {
    JdbcDataSource database = new JdbcDataSource();
    database.setURL("jdbc:h2:file:" + dir.resolve("db"));
    database.setUser("sa");

    StepLogMigration.migrateFromVersion2(database);

    JdbcStepJournal runs = new JdbcStepJournal(database);
    assertThat(runs.log("r-1", "build", "", 1)).isEqualTo(StepLogMigration.LONG_LOG);
    assertThat(runs.log("r-1", "empty", "", 1)).isEmpty();
    assertThat(runs.log("r-1", "none", "", 1)).isEmpty();
    assertThat(runs.latest("r-1", "build", "").orElseThrow().output())
        .isEqualTo(StepLogMigration.LONG_LOG);
    List<Integer> lengths = new ArrayList<>();
    try (Connection connection = database.getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery(
                "SELECT seq, LENGTH(content) FROM caravan_step_log WHERE step_name = 'build'"
                    + " ORDER BY seq")) {
      while (rows.next()) {
        assertThat(rows.getInt(1)).isEqualTo(lengths.size());
        lengths.add(rows.getInt(2));
      }
    }
    assertThat(lengths).hasSizeGreaterThan(3).allMatch(length -> length <= 16384);
  }
}
