package dev.caravan.event;

import dev.caravan.store.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.camel.spi.ExecutorServiceManager;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes this Caravan's consumers as soon as another replica queues a delivery for one of them,
 * through PostgreSQL's {@code LISTEN}/{@code NOTIFY}: the transaction that queues a delivery sends
 * its store's origin and the subscriber on channel {@value #CHANNEL} (PostgreSQL passes it on when
 * that transaction commits, never before, and not at all when it rolls back), and one pooled
 * connection per Caravan listens. A notification is only a wake-up: the consumer takes from the
 * store as it does on every poll, so a lost or doubled notification costs nothing but time, and the
 * poll ({@code pollInterval}) stays the fallback, on H2 and while the listening connection is lost.
 */
final class DeliveryNotifications {

  static final String CHANNEL = "caravan_delivery";

  /** How long one wait for notifications lasts; also how long a stop waits for the listener. */
  private static final int WAIT_MILLIS = 500;

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryNotifications.class);

  private final EventComponent component;
  private final DataSource dataSource;
  private final String origin;
  private volatile boolean listening;
  private ExecutorService listener;

  /**
   * @param origin the origin the local store sends: its own notifications are not for this Caravan
   *     (its consumers were woken when it queued)
   */
  DeliveryNotifications(EventComponent component, DataSource dataSource, String origin) {
    this.component = component;
    this.dataSource = dataSource;
    this.origin = origin;
  }

  /**
   * Tells the other replicas, in the caller's transaction, that a delivery for the subscriber was
   * queued; nothing on another database than PostgreSQL.
   */
  static void send(Connection connection, String origin, String subscriber) throws SQLException {
    if (!Jdbc.isPostgres(connection)) {
      return;
    }
    try (PreparedStatement notify = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
      notify.setString(1, CHANNEL);
      notify.setString(2, origin + ' ' + subscriber);
      try (ResultSet ignored = notify.executeQuery()) {
        // pg_notify answers one empty row
      }
    }
  }

  void start(ExecutorServiceManager threads) {
    listening = true;
    listener = threads.newSingleThreadExecutor(this, "event-notifications");
    listener.execute(this::listen);
  }

  void stop(ExecutorServiceManager threads) {
    listening = false;
    if (listener != null) {
      // the listener sees the flag within one wait
      threads.shutdownGraceful(listener, 2L * WAIT_MILLIS);
      listener = null;
    }
  }

  private void listen() {
    boolean lost = false;
    while (listening) {
      try (Connection connection = dataSource.getConnection()) {
        try {
          listenOn(connection);
          if (lost) {
            LOG.info("Listening for other replicas' deliveries again");
            lost = false;
          }
          receive(connection.unwrap(PGConnection.class));
        } finally {
          unlisten(connection);
        }
      } catch (SQLException | RuntimeException e) {
        // a connection lost, or a consumer that failed to wake: listen again after a pause
        if (listening) {
          if (!lost) {
            LOG.warn(
                "Not listening for other replicas' deliveries ({}); their events are found every"
                    + " {} ms until the database answers again",
                e.getMessage(),
                component.getPollInterval());
          }
          lost = true;
          pause();
        }
      }
    }
  }

  private static void listenOn(Connection connection) throws SQLException {
    connection.setAutoCommit(true);
    try (Statement statement = connection.createStatement()) {
      statement.execute("LISTEN " + CHANNEL);
    }
  }

  private void receive(PGConnection connection) throws SQLException {
    while (listening) {
      PGNotification[] received = connection.getNotifications(WAIT_MILLIS);
      if (received == null) {
        continue;
      }
      for (PGNotification notification : received) {
        String payload = notification.getParameter();
        int space = payload.indexOf(' ');
        if (space > 0 && !payload.substring(0, space).equals(origin)) {
          component.wakeSubscriber(payload.substring(space + 1));
        }
      }
    }
  }

  /** The connection goes back to the pool: it must not collect notifications nobody reads. */
  private static void unlisten(Connection connection) {
    try (Statement statement = connection.createStatement()) {
      statement.execute("UNLISTEN " + CHANNEL);
    } catch (SQLException e) {
      LOG.debug("Could not stop listening on a pooled connection: {}", e.getMessage());
    }
  }

  private void pause() {
    try {
      TimeUnit.MILLISECONDS.sleep(Math.max(WAIT_MILLIS, component.getPollInterval()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      listening = false;
    }
  }
}
