package dev.caravan.event;

import static dev.caravan.store.Jdbc.utc;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.caravan.store.Database;
import dev.caravan.store.Jdbc;
import dev.caravan.store.TimeOrderedIds;
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

/** {@link EventStore} in Caravan's database (tables caravan_event, _subscription, _delivery). */
public class JdbcEventStore implements EventStore {

  /** The columns {@link #event(ResultSet, int)} reads, of caravan_event as {@code e}. */
  public static final String EVENT_COLUMNS =
      "e.id, e.source, e.type, e.subject, e.event_time, e.labels, e.data";

  /** Most rounds of one take whose deliveries the handler keeps from running. */
  private static final int MAX_TAKE_ROUNDS = 16;

  private final Jdbc jdbc;
  private final DeliveryHandler handler;

  /** Names this store in the notifications it sends ({@link DeliveryNotifications}). */
  private final String origin = UUID.randomUUID().toString();

  private volatile boolean notifying = true;

  /**
   * @param handler hears, inside the store's transactions, what is queued and taken
   */
  public JdbcEventStore(Database database, DeliveryHandler handler) {
    this.jdbc = database.jdbc();
    this.handler = handler;
  }

  @Override
  public Appended publish(Event event) {
    return jdbc.write(
        connection -> {
          if (!insert(connection, event)) {
            return new Appended(false, handler.delivered(connection, event));
          }
          // read in the same transaction, so a subscription is either seen here or registered
          // after this event
          List<Delivery> deliveries = new ArrayList<>();
          for (Subscription subscription : subscriptions(connection)) {
            if (subscription.active() && subscription.matches(event)) {
              deliveries.add(enqueue(connection, event, subscription.subscriber()));
            }
          }
          handler.enqueued(connection, deliveries);
          return new Appended(true, deliveries);
        });
  }

  /**
   * Stores the event alone, in the caller's transaction, queuing no delivery (the caller queues the
   * ones it wants: a run started by hand).
   *
   * @return {@code false} when an event with that id was stored before
   */
  public boolean insert(Connection connection, Event event) throws SQLException {
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
      return Jdbc.insertIfAbsent(connection, insert);
    }
  }

  /**
   * Queues one more delivery of a stored event, in the caller's transaction, without telling the
   * handler (the caller is the handler's layer: a replay, a retry).
   */
  public Delivery enqueue(Connection connection, Event event, String subscriber)
      throws SQLException {
    String id = TimeOrderedIds.next();
    requeue(connection, id, event.id(), subscriber);
    if (notifying) {
      DeliveryNotifications.send(connection, origin, subscriber);
    }
    return new Delivery(id, event, subscriber);
  }

  String origin() {
    return origin;
  }

  /** Whether new deliveries send a notification to the other replicas (PostgreSQL only). */
  void setNotifying(boolean notifying) {
    this.notifying = notifying;
  }

  /** Whether other replicas hear of this store's new deliveries at once (PostgreSQL). */
  boolean notifies() {
    return jdbc.inTransaction(Jdbc::isPostgres);
  }

  DataSource dataSource() {
    return jdbc.dataSource();
  }

  /** Drops a waiting delivery, in the caller's transaction (its run was canceled). */
  public boolean discard(Connection connection, String deliveryId) throws SQLException {
    return dequeue(connection, deliveryId);
  }

  /** Drops a waiting delivery, if it waits, in the caller's transaction. */
  public static boolean dequeue(Connection connection, String deliveryId) throws SQLException {
    try (PreparedStatement delete =
        connection.prepareStatement("DELETE FROM caravan_delivery WHERE id = ?")) {
      delete.setString(1, deliveryId);
      return delete.executeUpdate() == 1;
    }
  }

  @Override
  public List<Delivery> take(String subscriber, int limit, ConcurrencyGroups groups) {
    return jdbc.write(
        connection -> {
          if (groups.limited()) {
            lockSubscription(connection, subscriber);
          }
          List<Delivery> dispatch = new ArrayList<>();
          // the handler may keep some from running (a run waiting in its concurrency group, a
          // canceled one): take on, in a few rounds, so that a full group does not slow its
          // pipeline to one batch per poll
          for (int round = 0; round < MAX_TAKE_ROUNDS && dispatch.size() < limit; round++) {
            List<Delivery> taken = new ArrayList<>();
            for (Delivery delivery : claimable(connection, subscriber, limit - dispatch.size())) {
              // the delete is the claim: another replica that took the row first deleted it
              if (discard(connection, delivery.id())) {
                taken.add(delivery);
              }
            }
            if (taken.isEmpty()) {
              break;
            }
            dispatch.addAll(
                groups.limited()
                    ? handler.taken(connection, taken, groups)
                    : handler.taken(connection, taken));
            if (!groups.limited()) {
              break;
            }
          }
          return dispatch;
        });
  }

  /**
   * Locks the subscription's row until the caller's transaction ends: whoever changes the
   * concurrency groups of a subscriber's runs takes this lock first, on H2 and PostgreSQL alike.
   */
  public static void lockSubscription(Connection connection, String subscriber)
      throws SQLException {
    try (PreparedStatement lock =
        connection.prepareStatement(
            "SELECT subscriber FROM caravan_subscription WHERE subscriber = ? FOR UPDATE")) {
      lock.setString(1, subscriber);
      try (ResultSet rows = lock.executeQuery()) {
        rows.next();
      }
    }
  }

  /**
   * Queues a delivery under the given id (a new one, or again under its own: the handler's layer
   * hands back a run that waited), in the caller's transaction, without telling the handler.
   */
  public static void requeue(
      Connection connection, String deliveryId, String eventId, String subscriber)
      throws SQLException {
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO caravan_delivery (id, event_id, subscriber, created_at) VALUES (?, ?, ?,"
                + " ?)")) {
      insert.setString(1, deliveryId);
      insert.setString(2, eventId);
      insert.setString(3, subscriber);
      insert.setObject(4, utc(Instant.now()));
      insert.executeUpdate();
    }
  }

  @Override
  public List<Delivery> waiting(String subscriber, int limit) {
    return jdbc.inTransaction(connection -> waiting(connection, subscriber, limit));
  }

  private static List<Delivery> waiting(Connection connection, String subscriber, int limit)
      throws SQLException {
    return waiting(connection, subscriber, limit, "");
  }

  /**
   * The oldest waiting deliveries of the subscriber that the caller's transaction may take. On
   * PostgreSQL their rows are locked for it and rows that another replica's take holds are skipped
   * ({@code FOR UPDATE SKIP LOCKED}), so replicas taking at once share the queue instead of waiting
   * for each other's commits; on H2 a take is a write of the store's single writer anyway.
   */
  private static List<Delivery> claimable(Connection connection, String subscriber, int limit)
      throws SQLException {
    return waiting(
        connection,
        subscriber,
        limit,
        Jdbc.isPostgres(connection) ? " FOR UPDATE OF d SKIP LOCKED" : "");
  }

  private static List<Delivery> waiting(
      Connection connection, String subscriber, int limit, String locking) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT d.id, d.subscriber, "
                + EVENT_COLUMNS
                + " FROM caravan_delivery d JOIN caravan_event e ON e.id = d.event_id"
                + " WHERE d.subscriber = ? ORDER BY d.subscriber, d.seq LIMIT ?"
                + locking)) {
      // the ORDER BY names the queue index's columns, or H2 sorts the whole queue of the
      // subscriber on every take instead of reading the first rows of the index
      query.setString(1, subscriber);
      query.setInt(2, limit);
      List<Delivery> waiting = new ArrayList<>();
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          waiting.add(new Delivery(rows.getString(1), event(rows, 3), rows.getString(2)));
        }
      }
      return waiting;
    }
  }

  @Override
  public int waitingCount(String subscriber) {
    return jdbc.inTransaction(
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT COUNT(*) FROM caravan_delivery WHERE subscriber = ?")) {
            query.setString(1, subscriber);
            try (ResultSet rows = query.executeQuery()) {
              rows.next();
              return rows.getInt(1);
            }
          }
        });
  }

  @Override
  public void subscribe(Subscription subscription) {
    jdbc.write(
        connection -> {
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE caravan_subscription SET source = ?, types = ?, subject = ?,"
                      + " updated_at = ?, active = TRUE WHERE subscriber = ?")) {
            bindSubscription(update, subscription);
            if (update.executeUpdate() == 1) {
              return null;
            }
          }
          try (PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO caravan_subscription (source, types, subject, updated_at,"
                      + " subscriber, active) VALUES (?, ?, ?, ?, ?, TRUE)")) {
            bindSubscription(insert, subscription);
            // false: another replica registered the same route at the same moment
            Jdbc.insertIfAbsent(connection, insert);
          }
          return null;
        });
  }

  @Override
  public void deactivate(String subscriber) {
    jdbc.write(
        connection -> {
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE caravan_subscription SET active = FALSE, updated_at = ? WHERE"
                      + " subscriber = ?")) {
            update.setObject(1, utc(Instant.now()));
            update.setString(2, subscriber);
            update.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public List<Subscription> subscriptions() {
    return jdbc.inTransaction(JdbcEventStore::subscriptions);
  }

  /** The subscriptions, read in the caller's transaction. */
  public static List<Subscription> subscriptions(Connection connection) throws SQLException {
    List<Subscription> found = new ArrayList<>();
    try (PreparedStatement query =
            connection.prepareStatement(
                "SELECT subscriber, source, types, subject, active FROM caravan_subscription"
                    + " ORDER BY subscriber");
        ResultSet rows = query.executeQuery()) {
      while (rows.next()) {
        found.add(
            new Subscription(
                rows.getString(1),
                rows.getString(2),
                Subscription.parseTypes(rows.getString(3)),
                rows.getString(4),
                rows.getBoolean(5)));
      }
    }
    return found;
  }

  @Override
  public Optional<Event> find(String eventId) {
    return jdbc.inTransaction(connection -> find(connection, eventId));
  }

  /** The event, read in the caller's transaction. */
  public static Optional<Event> find(Connection connection, String eventId) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT " + EVENT_COLUMNS + " FROM caravan_event e WHERE e.id = ?")) {
      query.setString(1, eventId);
      try (ResultSet rows = query.executeQuery()) {
        return rows.next() ? Optional.of(event(rows, 1)) : Optional.empty();
      }
    }
  }

  @Override
  public List<Event> events(String source, String type, String subject, int limit, int offset) {
    return jdbc.inTransaction(
        connection -> {
          List<String> values = new ArrayList<>();
          String sql =
              "SELECT "
                  + EVENT_COLUMNS
                  + " FROM caravan_event e"
                  + where(source, type, subject, values)
                  + " ORDER BY e.received_at DESC, e.id LIMIT ? OFFSET ?";
          try (PreparedStatement query = connection.prepareStatement(sql)) {
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
  public long countEvents(String source, String type, String subject) {
    return jdbc.inTransaction(
        connection -> {
          List<String> values = new ArrayList<>();
          String sql =
              "SELECT COUNT(*) FROM caravan_event e" + where(source, type, subject, values);
          try (PreparedStatement query = connection.prepareStatement(sql)) {
            int i = 1;
            for (String value : values) {
              query.setString(i++, value);
            }
            try (ResultSet rows = query.executeQuery()) {
              rows.next();
              return rows.getLong(1);
            }
          }
        });
  }

  /** The WHERE clause of the filters that are not {@code null}, their values added to values. */
  private static String where(String source, String type, String subject, List<String> values) {
    StringBuilder sql = new StringBuilder();
    String glue = " WHERE ";
    for (String[] filter :
        new String[][] {{"e.source", source}, {"e.type", type}, {"e.subject", subject}}) {
      if (filter[1] != null) {
        sql.append(glue).append(filter[0]).append(" = ?");
        values.add(filter[1]);
        glue = " AND ";
      }
    }
    return sql.toString();
  }

  private static void bindSubscription(PreparedStatement statement, Subscription subscription)
      throws SQLException {
    statement.setString(1, subscription.source());
    statement.setString(2, String.join(",", subscription.types()));
    statement.setString(3, subscription.subject());
    statement.setObject(4, utc(Instant.now()));
    statement.setString(5, subscription.subscriber());
  }

  /** The event whose {@link #EVENT_COLUMNS} start at column {@code first}. */
  public static Event event(ResultSet rows, int first) throws SQLException {
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
