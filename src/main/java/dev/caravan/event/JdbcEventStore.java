package dev.caravan.event;

import static dev.caravan.event.Jdbc.utc;

import com.fasterxml.jackson.core.type.TypeReference;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/** {@link EventStore} on JDBC: embedded H2 by default, PostgreSQL in production. */
public class JdbcEventStore implements EventStore {

  private static final String EVENT_COLUMNS =
      "e.id, e.source, e.type, e.subject, e.event_time, e.labels, e.data";
  private static final String RUN_QUERY =
      "SELECT r.id, r.pipeline, r.reuse_from, "
          + EVENT_COLUMNS
          + " FROM caravan_run r JOIN caravan_event e ON e.id = r.event_id ";

  private final Jdbc jdbc;

  public JdbcEventStore(DataSource dataSource) {
    this(dataSource, new StoreHealth());
  }

  /**
   * @param health hears whether each write worked
   */
  public JdbcEventStore(DataSource dataSource, StoreHealth health) {
    this.jdbc = new Jdbc(dataSource, health);
  }

  /** The database the store is kept in (the retention policy deletes from it). */
  public DataSource dataSource() {
    return jdbc.dataSource();
  }

  /** Applies the versioned schema migrations (Flyway, table caravan_schema_history). */
  public JdbcEventStore migrate() {
    Flyway.configure()
        .dataSource(jdbc.dataSource())
        .locations("classpath:db/caravan")
        .table("caravan_schema_history")
        .baselineOnMigrate(true)
        .baselineVersion("0")
        .load()
        .migrate();
    return this;
  }

  @Override
  public boolean append(Event event) {
    return jdbc.write(
        connection -> {
          try (PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO caravan_event (id, source, type, subject, event_time, received_at,"
                      + " labels, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, event.id());
            insert.setString(2, event.source());
            insert.setString(3, event.type());
            insert.setString(4, event.subject());
            insert.setObject(5, utc(event.time()));
            insert.setObject(6, utc(Instant.now()));
            insert.setString(7, EventJson.write(event.labels()));
            insert.setString(8, event.data());
            insert.executeUpdate();
          } catch (SQLException e) {
            if (Jdbc.UNIQUE_VIOLATION.equals(e.getSQLState())) {
              // PostgreSQL aborts the transaction on the error: end it here, nothing to keep
              connection.rollback();
              return false;
            }
            throw e;
          }
          // read in the same transaction, so a subscription is either seen here or registered
          // after this event
          for (Subscription subscription : subscriptions(connection)) {
            if (subscription.matches(event)) {
              insertRun(connection, event.id(), subscription.subscriber(), null);
            }
          }
          return true;
        });
  }

  @Override
  public void subscribe(Subscription subscription) {
    jdbc.write(
        connection -> {
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE caravan_subscription SET source = ?, types = ?, subject = ?,"
                      + " updated_at = ? WHERE subscriber = ?")) {
            bindSubscription(update, subscription);
            if (update.executeUpdate() == 1) {
              return null;
            }
          }
          try (PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO caravan_subscription (source, types, subject, updated_at,"
                      + " subscriber) VALUES (?, ?, ?, ?, ?)")) {
            bindSubscription(insert, subscription);
            insert.executeUpdate();
          } catch (SQLException e) {
            if (!Jdbc.UNIQUE_VIOLATION.equals(e.getSQLState())) {
              throw e;
            }
            // another replica registered the same route at the same moment
          }
          return null;
        });
  }

  @Override
  public List<Subscription> subscriptions() {
    return jdbc.inTransaction(JdbcEventStore::subscriptions);
  }

  @Override
  public List<Delivery> pending(String pipeline, int limit) {
    return jdbc.inTransaction(
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement(
                  RUN_QUERY + "WHERE r.pipeline = ? AND r.status = ? ORDER BY r.seq")) {
            query.setString(1, pipeline);
            query.setString(2, RunStatus.PENDING.name());
            query.setMaxRows(limit);
            return deliveries(query);
          }
        });
  }

  @Override
  public boolean start(String runId, String owner) {
    return jdbc.write(
        connection -> {
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE caravan_run SET status = ?, owner = ?, started_at = ?, attempts ="
                      + " attempts + 1 WHERE id = ? AND status = ?")) {
            update.setString(1, RunStatus.RUNNING.name());
            update.setString(2, owner);
            update.setObject(3, utc(Instant.now()));
            update.setString(4, runId);
            update.setString(5, RunStatus.PENDING.name());
            return update.executeUpdate() == 1;
          }
        });
  }

  @Override
  public void finish(String runId, RunStatus status, String summary) {
    jdbc.write(
        connection -> {
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE caravan_run SET status = CASE WHEN status = ? THEN status ELSE ? END,"
                      + " ended_at = COALESCE(ended_at, ?), summary = ? WHERE id = ? AND status"
                      + " IN (?, ?)")) {
            update.setString(1, RunStatus.CANCELED.name());
            update.setString(2, status.name());
            update.setObject(3, utc(Instant.now()));
            update.setString(4, summary);
            update.setString(5, runId);
            update.setString(6, RunStatus.RUNNING.name());
            update.setString(7, RunStatus.CANCELED.name());
            update.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public List<Event> events(String source, String type, String subject, int limit, int offset) {
    return jdbc.inTransaction(
        connection -> {
          StringBuilder sql =
              new StringBuilder("SELECT " + EVENT_COLUMNS + " FROM caravan_event e");
          List<String> values = new ArrayList<>();
          String glue = " WHERE ";
          for (String[] filter :
              new String[][] {{"e.source", source}, {"e.type", type}, {"e.subject", subject}}) {
            if (filter[1] != null) {
              sql.append(glue).append(filter[0]).append(" = ?");
              values.add(filter[1]);
              glue = " AND ";
            }
          }
          sql.append(" ORDER BY e.received_at DESC, e.id LIMIT ? OFFSET ?");
          try (PreparedStatement query = connection.prepareStatement(sql.toString())) {
            int i = 1;
            for (String value : values) {
              query.setString(i++, value);
            }
            query.setInt(i++, limit);
            query.setInt(i, offset);
            List<Event> found = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
              while (rows.next()) {
                found.add(event(rows, 1));
              }
            }
            return found;
          }
        });
  }

  @Override
  public TakenOver takeOver(
      String pipeline, String owner, Instant staleBefore, int maxRunAttempts) {
    return jdbc.write(
        connection -> {
          List<Delivery> orphans = new ArrayList<>();
          List<String> previousOwners = new ArrayList<>();
          List<Integer> attempts = new ArrayList<>();
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT r.id, r.pipeline, r.reuse_from, "
                      + EVENT_COLUMNS
                      + ", r.owner, r.attempts FROM caravan_run r JOIN caravan_event e ON e.id ="
                      + " r.event_id LEFT JOIN caravan_instance i ON i.id = r.owner"
                      + " WHERE r.pipeline = ? AND r.status = ? AND (r.owner IS NULL OR r.owner"
                      + " <> ?) AND (i.id IS NULL OR i.heartbeat < ?) ORDER BY r.seq")) {
            query.setString(1, pipeline);
            query.setString(2, RunStatus.RUNNING.name());
            query.setString(3, owner);
            query.setObject(4, utc(staleBefore));
            try (ResultSet rows = query.executeQuery()) {
              while (rows.next()) {
                orphans.add(delivery(rows));
                previousOwners.add(rows.getString(11));
                attempts.add(rows.getInt(12));
              }
            }
          }
          List<Delivery> taken = new ArrayList<>();
          List<String> givenUp = new ArrayList<>();
          try (PreparedStatement claim =
                  connection.prepareStatement(
                      "UPDATE caravan_run SET owner = ?, attempts = attempts + 1 WHERE id = ? AND"
                          + " status = ? AND (owner = ? OR (owner IS NULL AND ? IS NULL))");
              PreparedStatement fail =
                  connection.prepareStatement(
                      "UPDATE caravan_run SET status = ?, owner = ?, ended_at = ?, summary = ?"
                          + " WHERE id = ? AND status = ? AND (owner = ? OR (owner IS NULL AND ?"
                          + " IS NULL))")) {
            for (int i = 0; i < orphans.size(); i++) {
              String runId = orphans.get(i).runId();
              String previous = previousOwners.get(i);
              if (attempts.get(i) >= maxRunAttempts) {
                fail.setString(1, RunStatus.FAILED.name());
                fail.setString(2, owner);
                fail.setObject(3, utc(Instant.now()));
                fail.setString(4, givenUpSummary(attempts.get(i)));
                fail.setString(5, runId);
                fail.setString(6, RunStatus.RUNNING.name());
                fail.setString(7, previous);
                fail.setString(8, previous);
                if (fail.executeUpdate() == 1) {
                  givenUp.add(runId);
                }
                continue;
              }
              claim.setString(1, owner);
              claim.setString(2, runId);
              claim.setString(3, RunStatus.RUNNING.name());
              claim.setString(4, previous);
              claim.setString(5, previous);
              if (claim.executeUpdate() == 1) {
                taken.add(orphans.get(i));
              }
            }
          }
          return new TakenOver(taken, givenUp);
        });
  }

  /** The summary of a run that is not resumed again. */
  static String givenUpSummary(int attempts) {
    return "Given up after "
        + attempts
        + " attempts: each time, the Caravan running this run stopped before it ended (a crash,"
        + " an out-of-memory kill or a restart), and maxRunAttempts allows no more. Its steps'"
        + " logs show how far it got; replay the event to run it again.";
  }

  @Override
  public void heartbeat(String owner) {
    jdbc.write(
        connection -> {
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE caravan_instance SET heartbeat = ? WHERE id = ?")) {
            update.setObject(1, utc(Instant.now()));
            update.setString(2, owner);
            if (update.executeUpdate() == 1) {
              return null;
            }
          }
          try (PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO caravan_instance (id, heartbeat) VALUES (?, ?)")) {
            insert.setString(1, owner);
            insert.setObject(2, utc(Instant.now()));
            insert.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public void retire(String owner) {
    jdbc.write(
        connection -> {
          try (PreparedStatement delete =
              connection.prepareStatement("DELETE FROM caravan_instance WHERE id = ?")) {
            delete.setString(1, owner);
            delete.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public List<Delivery> replay(String eventId, boolean keepSucceeded) {
    return jdbc.write(
        connection -> {
          Optional<Event> event = find(connection, eventId);
          if (event.isEmpty()) {
            return List.of();
          }
          List<Delivery> runs = new ArrayList<>();
          for (Subscription subscription : subscriptions(connection)) {
            if (subscription.matches(event.get())) {
              String reuseFrom =
                  keepSucceeded ? latestRun(connection, eventId, subscription.subscriber()) : null;
              String runId = insertRun(connection, eventId, subscription.subscriber(), reuseFrom);
              runs.add(new Delivery(runId, event.get(), subscription.subscriber(), reuseFrom));
            }
          }
          return runs;
        });
  }

  @Override
  public Optional<Event> find(String eventId) {
    return jdbc.inTransaction(connection -> find(connection, eventId));
  }

  private static Optional<Event> find(Connection connection, String eventId) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT " + EVENT_COLUMNS + " FROM caravan_event e WHERE e.id = ?")) {
      query.setString(1, eventId);
      try (ResultSet rows = query.executeQuery()) {
        return rows.next() ? Optional.of(event(rows, 1)) : Optional.empty();
      }
    }
  }

  private static String insertRun(
      Connection connection, String eventId, String pipeline, String reuseFrom)
      throws SQLException {
    String runId = UUID.randomUUID().toString();
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO caravan_run (id, event_id, pipeline, status, reuse_from, created_at)"
                + " VALUES (?, ?, ?, ?, ?, ?)")) {
      insert.setString(1, runId);
      insert.setString(2, eventId);
      insert.setString(3, pipeline);
      insert.setString(4, RunStatus.PENDING.name());
      insert.setString(5, reuseFrom);
      insert.setObject(6, utc(Instant.now()));
      insert.executeUpdate();
    }
    return runId;
  }

  private static String latestRun(Connection connection, String eventId, String pipeline)
      throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT id FROM caravan_run WHERE event_id = ? AND pipeline = ? AND status <> ?"
                + " ORDER BY seq DESC")) {
      query.setString(1, eventId);
      query.setString(2, pipeline);
      query.setString(3, RunStatus.PENDING.name());
      query.setMaxRows(1);
      try (ResultSet rows = query.executeQuery()) {
        return rows.next() ? rows.getString(1) : null;
      }
    }
  }

  private static List<Subscription> subscriptions(Connection connection) throws SQLException {
    List<Subscription> found = new ArrayList<>();
    try (PreparedStatement query =
            connection.prepareStatement(
                "SELECT subscriber, source, types, subject FROM caravan_subscription");
        ResultSet rows = query.executeQuery()) {
      while (rows.next()) {
        found.add(
            new Subscription(
                rows.getString(1),
                rows.getString(2),
                Subscription.parseTypes(rows.getString(3)),
                rows.getString(4)));
      }
    }
    return found;
  }

  private static List<Delivery> deliveries(PreparedStatement query) throws SQLException {
    List<Delivery> found = new ArrayList<>();
    try (ResultSet rows = query.executeQuery()) {
      while (rows.next()) {
        found.add(delivery(rows));
      }
    }
    return found;
  }

  private static Delivery delivery(ResultSet rows) throws SQLException {
    return new Delivery(rows.getString(1), event(rows, 4), rows.getString(2), rows.getString(3));
  }

  private static void bindSubscription(PreparedStatement statement, Subscription subscription)
      throws SQLException {
    statement.setString(1, subscription.source());
    statement.setString(2, String.join(",", subscription.types()));
    statement.setString(3, subscription.subject());
    statement.setObject(4, utc(Instant.now()));
    statement.setString(5, subscription.subscriber());
  }

  private static Event event(ResultSet rows, int first) throws SQLException {
    return new Event(
        rows.getString(first),
        rows.getString(first + 1),
        rows.getString(first + 2),
        rows.getString(first + 3),
        rows.getObject(first + 4, OffsetDateTime.class).toInstant(),
        EventJson.MAPPER.convertValue(
            EventJson.parse(rows.getString(first + 5)),
            new TypeReference<Map<String, String>>() {}),
        rows.getString(first + 6));
  }
}
