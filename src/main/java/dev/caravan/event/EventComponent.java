package dev.caravan.event;

import dev.caravan.store.Database;
import dev.caravan.store.StoreHealth;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.CamelContextHelper;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.support.service.ServiceHelper;

/**
 * Publishes events durably ({@code to: event:<source>}) and delivers them to the pipelines that
 * subscribe ({@code from: event:<source>?types=...}). The store is opened by the component when it
 * starts, and what becomes of a delivery beyond the route (a run) is the {@link DeliveryHandler}'s.
 */
@Component("event")
public class EventComponent extends DefaultComponent {

  /** Where events are kept. Defaults to a JDBC store in the database. */
  @Metadata(autowired = true, label = "advanced")
  private EventStore store;

  /** Caravan's database. Defaults to the one in the registry, else one on the dataSource. */
  @Metadata(autowired = true, label = "advanced")
  private Database database;

  /** Database of the default store. Defaults to the single DataSource in the registry. */
  @Metadata(autowired = true)
  private DataSource dataSource;

  /** JDBC URL of the database when there is no dataSource. */
  @Metadata(defaultValue = Database.DEFAULT_JDBC_URL)
  private String jdbcUrl = Database.DEFAULT_JDBC_URL;

  /** Database user when there is no dataSource. */
  @Metadata(defaultValue = "sa")
  private String jdbcUsername = "sa";

  /** Database password when there is no dataSource. */
  @Metadata(secret = true)
  private String jdbcPassword = "";

  /**
   * Milliseconds between looks for deliveries that another replica stored and for runs to resume
   * (local deliveries start at once; on PostgreSQL so do other replicas', woken by NOTIFY, and the
   * look is the fallback).
   */
  @Metadata(defaultValue = "5000")
  private long pollInterval = 5000;

  /**
   * On PostgreSQL, whether a queued delivery wakes the other replicas at once (NOTIFY, and one
   * listening connection per Caravan). False behind a connection pooler that does not keep LISTEN
   * (PgBouncer in transaction mode): the poll alone finds other replicas' deliveries then.
   */
  @Metadata(defaultValue = "true", label = "advanced")
  private boolean notifyReplicas = true;

  /**
   * Whether the store takes writes, fed by the store's writes. Defaults to the single StoreHealth
   * in the registry, else a new one bound there (health checks read it).
   */
  @Metadata(autowired = true, label = "advanced")
  private StoreHealth storeHealth;

  /**
   * What becomes of deliveries beyond their route: Caravan's run layer makes each a run. Defaults
   * to the single DeliveryHandler in the registry, else deliveries are only delivered.
   */
  @Metadata(autowired = true, label = "advanced")
  private DeliveryHandler deliveryHandler;

  private final List<EventConsumer> consumers = new CopyOnWriteArrayList<>();
  private Database ownedDatabase;
  private RemovedRoutes removedRoutes;
  private DeliveryNotifications notifications;

  @Override
  protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters)
      throws Exception {
    EventEndpoint endpoint = new EventEndpoint(uri, this, remaining);
    setProperties(endpoint, parameters);
    return endpoint;
  }

  @Override
  protected void doStart() throws Exception {
    super.doStart();
    if (deliveryHandler == null) {
      deliveryHandler =
          CamelContextHelper.findSingleByType(getCamelContext(), DeliveryHandler.class);
    }
    if (deliveryHandler == null) {
      deliveryHandler = DeliveryHandler.NONE;
    }
    if (store == null) {
      store = CamelContextHelper.findSingleByType(getCamelContext(), EventStore.class);
    }
    if (store == null) {
      store = new JdbcEventStore(database(), deliveryHandler);
    }
    if (store instanceof JdbcEventStore jdbcStore) {
      jdbcStore.setNotifying(notifyReplicas);
      if (notifyReplicas && jdbcStore.notifies()) {
        notifications = new DeliveryNotifications(this, jdbcStore.dataSource(), jdbcStore.origin());
        notifications.start(getCamelContext().getExecutorServiceManager());
      }
    }
    removedRoutes = new RemovedRoutes(this);
    getCamelContext().getManagementStrategy().addEventNotifier(removedRoutes);
    ServiceHelper.startService(removedRoutes);
    deliveryHandler.started(this);
  }

  /** The database: configured, in the registry, or opened here (and bound for the others). */
  private Database database() {
    if (database == null) {
      database = Database.find(getCamelContext());
    }
    if (database == null) {
      StoreHealth health = storeHealth();
      DataSource source =
          dataSource != null
              ? dataSource
              : CamelContextHelper.findSingleByType(getCamelContext(), DataSource.class);
      ownedDatabase =
          source != null
              ? Database.on(source, health)
              : Database.open(jdbcUrl, jdbcUsername, jdbcPassword, health);
      database = ownedDatabase;
      getCamelContext().getRegistry().bind("caravanDatabase", database);
    }
    return database;
  }

  private StoreHealth storeHealth() {
    if (storeHealth == null) {
      storeHealth = CamelContextHelper.findSingleByType(getCamelContext(), StoreHealth.class);
    }
    if (storeHealth == null) {
      storeHealth = new StoreHealth();
      getCamelContext().getRegistry().bind("caravanStoreHealth", storeHealth);
    }
    return storeHealth;
  }

  @Override
  protected void doStop() throws Exception {
    deliveryHandler.stopping();
    if (notifications != null) {
      notifications.stop(getCamelContext().getExecutorServiceManager());
      notifications = null;
    }
    if (removedRoutes != null) {
      getCamelContext().getManagementStrategy().removeEventNotifier(removedRoutes);
      ServiceHelper.stopService(removedRoutes);
      removedRoutes = null;
    }
    if (ownedDatabase != null) {
      getCamelContext().getRegistry().unbind("caravanDatabase");
      ownedDatabase.close();
      ownedDatabase = null;
      database = null;
      store = null;
    }
    super.doStop();
  }

  void register(EventConsumer consumer) {
    consumers.add(consumer);
  }

  void unregister(EventConsumer consumer) {
    consumers.remove(consumer);
  }

  /** Wakes the local subscribers of a newly stored (or queued again) event. */
  public void wakeSubscribers(Event event) {
    for (EventConsumer consumer : consumers) {
      if (consumer.subscription().matches(event)) {
        consumer.wake();
      }
    }
  }

  /** Wakes the local consumers of one subscriber, for which a delivery was queued by hand. */
  public void wakeSubscriber(String subscriber) {
    for (EventConsumer consumer : consumers) {
      if (consumer.subscription().subscriber().equals(subscriber)) {
        consumer.wake();
      }
    }
  }

  public EventStore getStore() {
    return store;
  }

  public void setStore(EventStore store) {
    this.store = store;
  }

  public Database getDatabase() {
    return database;
  }

  public void setDatabase(Database database) {
    this.database = database;
  }

  public DeliveryHandler getDeliveryHandler() {
    return deliveryHandler;
  }

  public void setDeliveryHandler(DeliveryHandler deliveryHandler) {
    this.deliveryHandler = deliveryHandler;
  }

  public StoreHealth getStoreHealth() {
    return storeHealth;
  }

  public void setStoreHealth(StoreHealth storeHealth) {
    this.storeHealth = storeHealth;
  }

  public DataSource getDataSource() {
    return dataSource;
  }

  public void setDataSource(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  public String getJdbcUrl() {
    return jdbcUrl;
  }

  public void setJdbcUrl(String jdbcUrl) {
    this.jdbcUrl = jdbcUrl;
  }

  public String getJdbcUsername() {
    return jdbcUsername;
  }

  public void setJdbcUsername(String jdbcUsername) {
    this.jdbcUsername = jdbcUsername;
  }

  public String getJdbcPassword() {
    return jdbcPassword;
  }

  public void setJdbcPassword(String jdbcPassword) {
    this.jdbcPassword = jdbcPassword;
  }

  public long getPollInterval() {
    return pollInterval;
  }

  public void setPollInterval(long pollInterval) {
    this.pollInterval = pollInterval;
  }

  public boolean isNotifyReplicas() {
    return notifyReplicas;
  }

  public void setNotifyReplicas(boolean notifyReplicas) {
    this.notifyReplicas = notifyReplicas;
  }
}
