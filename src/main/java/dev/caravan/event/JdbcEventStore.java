package dev.caravan.event;

import com.fasterxml.jackson.core.type.TypeReference;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/** {@link EventStore} on JDBC: embedded H2 by default, PostgreSQL in production. */
public class JdbcEventStore implements EventStore {

  private static final String UNIQUE_VIOLATION = "23505";
  private static final String PENDING = "PENDING";
  private static final String CLAIMED = "CLAIMED";
  private static final String EVENT_COLUMNS =
      "e.id, e.source, e.type, e.subject, e.event_time, e.labels, e.data";

  private final DataSource dataSource;

  public JdbcEventStore(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Applies the versioned schema migrations (Flyway, table caravan_schema_history). */
  public JdbcEventStore migrate() {
    Flyway.configure()
        .dataSource(dataSource)
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
    List<Subscription> subscriptions = subscriptions();
    return inTransaction(
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
            if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
              // PostgreSQL aborts the transaction on the error: end it here, nothing to keep
              connection.rollback();
              return false;
            }
            throw e;
          }
          try (PreparedStatement delivery =
              connection.prepareStatement(
                  "INSERT INTO caravan_delivery (event_id, subscriber, status) VALUES (?, ?, ?)")) {
            for (Subscription subscription : subscriptions) {
              if (subscription.matches(event)) {
                delivery.setString(1, event.id());
                delivery.setString(2, subscription.subscriber());
                delivery.setString(3, PENDING);
                delivery.addBatch();
              }
            }
            delivery.executeBatch();
          }
          return true;
        });
  }

  @Override
  public void subscribe(Subscription subscription) {
    inTransaction(
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
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
              throw e;
            }
            // another replica registered it at the same moment: same route, same filter
          }
          return null;
        });
  }

  @Override
  public List<Subscription> subscriptions() {
    return inTransaction(
        connection -> {
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
        });
  }

  @Override
  public List<Delivery> pending(String subscriber, int limit) {
    return inTransaction(
        connection -> {
          List<Delivery> found = new ArrayList<>();
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT "
                      + EVENT_COLUMNS
                      + " FROM caravan_delivery d JOIN caravan_event e ON e.id = d.event_id"
                      + " WHERE d.subscriber = ? AND d.status = ? ORDER BY d.seq")) {
            query.setString(1, subscriber);
            query.setString(2, PENDING);
            query.setMaxRows(limit);
            try (ResultSet rows = query.executeQuery()) {
              while (rows.next()) {
                found.add(new Delivery(event(rows), subscriber, null));
              }
            }
          }
          return found;
        });
  }

  @Override
  public boolean claim(String eventId, String subscriber, String runId) {
    return inTransaction(
        connection -> {
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE caravan_delivery SET status = ?, run_id = ?, claimed_at = ?"
                      + " WHERE event_id = ? AND subscriber = ? AND status = ?")) {
            update.setString(1, CLAIMED);
            update.setString(2, runId);
            update.setObject(3, utc(Instant.now()));
            update.setString(4, eventId);
            update.setString(5, subscriber);
            update.setString(6, PENDING);
            return update.executeUpdate() == 1;
          }
        });
  }

  @Override
  public Optional<Event> find(String eventId) {
    return inTransaction(
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT " + EVENT_COLUMNS + " FROM caravan_event e WHERE e.id = ?")) {
            query.setString(1, eventId);
            try (ResultSet rows = query.executeQuery()) {
              return rows.next() ? Optional.of(event(rows)) : Optional.empty();
            }
          }
        });
  }

  private static void bindSubscription(PreparedStatement statement, Subscription subscription)
      throws SQLException {
    statement.setString(1, subscription.source());
    statement.setString(2, String.join(",", subscription.types()));
    statement.setString(3, subscription.subject());
    statement.setObject(4, utc(Instant.now()));
    statement.setString(5, subscription.subscriber());
  }

  private static Event event(ResultSet rows) throws SQLException {
    return new Event(
        rows.getString(1),
        rows.getString(2),
        rows.getString(3),
        rows.getString(4),
        rows.getObject(5, OffsetDateTime.class).toInstant(),
        EventJson.MAPPER.convertValue(
            EventJson.parse(rows.getString(6)), new TypeReference<Map<String, String>>() {}),
        rows.getString(7));
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }

  /** Runs the work in one transaction: committed when it returns, rolled back when it throws. */
  protected <T> T inTransaction(SqlWork<T> work) {
    try (Connection connection = dataSource.getConnection()) {
      boolean autoCommit = connection.getAutoCommit();
      connection.setAutoCommit(false);
      try {
        T result = work.run(connection);
        connection.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw new EventStoreException("Event store failed: " + e.getMessage(), e);
    }
  }

  /** Work on one connection. */
  @FunctionalInterface
  protected interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
  }
}
