package dev.caravan.event;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.caravan.kjob.StepJournal;
import dev.caravan.run.JdbcRunStore;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.CamelContextHelper;
import org.apache.camel.support.DefaultComponent;

/**
 * Publishes events durably ({@code to: event:<source>}) and delivers them to the pipelines that
 * subscribe ({@code from: event:<source>?types=...}).
 */
@Component("event")
public class EventComponent extends DefaultComponent {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(EventComponent.class);

  /** The default store: an H2 file database that survives a SIGKILL right after a commit. */
  public static final String DEFAULT_JDBC_URL = "jdbc:h2:file:./caravan-data/caravan;WRITE_DELAY=0";

  /** Where events are kept. Defaults to a JDBC store on the dataSource. */
  @Metadata(autowired = true, label = "advanced")
  private EventStore store;

  /** Database of the default store. Defaults to the single DataSource in the registry. */
  @Metadata(autowired = true)
  private DataSource dataSource;

  /** JDBC URL of the database when there is no dataSource. */
  @Metadata(defaultValue = DEFAULT_JDBC_URL)
  private String jdbcUrl = DEFAULT_JDBC_URL;

  /** Database user when there is no dataSource. */
  @Metadata(defaultValue = "sa")
  private String jdbcUsername = "sa";

  /** Database password when there is no dataSource. */
  @Metadata(secret = true)
  private String jdbcPassword = "";

  /**
   * Milliseconds between looks for deliveries that another replica stored (local ones are delivered
   * at once).
   */
  @Metadata(defaultValue = "5000")
  private long pollInterval = 5000;

  /**
   * Milliseconds after which the RUNNING runs of a Caravan instance that stopped sending heartbeats
   * are taken over and resumed by another (or by the restarted one).
   */
  @Metadata(defaultValue = "30000")
  private long runLeaseTimeout = 30000;

  /**
   * Most times a run is started or taken over (resumed after its Caravan stopped or crashed); when
   * a take-over would exceed it, the run becomes FAILED with a summary saying why instead, so that
   * a run that keeps crashing Caravan is not retried for ever.
   */
  @Metadata(defaultValue = "3")
  private int maxRunAttempts = 3;

  /**
   * Whether the store takes writes, fed by the writes of the default stores. Defaults to the single
   * StoreHealth in the registry, else a new one bound there (health checks read it).
   */
  @Metadata(autowired = true, label = "advanced")
  private StoreHealth storeHealth;

  private final String instanceId = UUID.randomUUID().toString();
  private final List<EventConsumer> consumers = new CopyOnWriteArrayList<>();
  private HikariDataSource ownedDataSource;
  private ScheduledExecutorService heartbeats;

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
    if (maxRunAttempts < 1) {
      throw new IllegalArgumentException(
          "Invalid event component option maxRunAttempts="
              + maxRunAttempts
              + ": expected 1 or more");
    }
    if (storeHealth == null) {
      storeHealth = CamelContextHelper.findSingleByType(getCamelContext(), StoreHealth.class);
    }
    if (storeHealth == null) {
      storeHealth = new StoreHealth();
      getCamelContext().getRegistry().bind("caravanStoreHealth", storeHealth);
    }
    if (store == null) {
      store = CamelContextHelper.findSingleByType(getCamelContext(), EventStore.class);
    }
    if (store == null) {
      DataSource database = dataSource;
      if (database == null) {
        database = CamelContextHelper.findSingleByType(getCamelContext(), DataSource.class);
      }
      if (database == null) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(jdbcUsername);
        config.setPassword(jdbcPassword);
        config.setPoolName("caravan-events");
        ownedDataSource = new HikariDataSource(config);
        database = ownedDataSource;
      }
      store = new JdbcEventStore(database, storeHealth).migrate();
      if (CamelContextHelper.findSingleByType(getCamelContext(), StepJournal.class) == null) {
        // kjob records the steps of runs in the same database
        getCamelContext()
            .getRegistry()
            .bind("caravanRunStore", new JdbcRunStore(database, storeHealth));
      }
    }
    store.heartbeat(instanceId);
    heartbeats =
        getCamelContext()
            .getExecutorServiceManager()
            .newSingleThreadScheduledExecutor(this, "event-heartbeat");
    long beat = Math.max(100, runLeaseTimeout / 3);
    heartbeats.scheduleWithFixedDelay(this::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
  }

  /** The routes have stopped: what this instance left RUNNING is for the next one to resume. */
  private void retire() {
    try {
      store.retire(instanceId);
    } catch (RuntimeException e) {
      LOG.warn(
          "Could not record that this Caravan stopped (its runs are resumed after the lease"
              + " timeout): {}",
          e.getMessage());
    }
  }

  private void heartbeat() {
    try {
      store.heartbeat(instanceId);
    } catch (RuntimeException e) {
      LOG.warn("Could not record the heartbeat of this Caravan: {}", e.getMessage());
    }
  }

  @Override
  protected void doStop() throws Exception {
    if (heartbeats != null) {
      getCamelContext().getExecutorServiceManager().shutdown(heartbeats);
      heartbeats = null;
      retire();
    }
    if (ownedDataSource != null) {
      ownedDataSource.close();
      ownedDataSource = null;
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

  /** Wakes the local subscribers of a newly stored (or replayed) event. */
  public void wakeSubscribers(Event event) {
    for (EventConsumer consumer : consumers) {
      if (consumer.subscription().matches(event)) {
        consumer.wake();
      }
    }
  }

  /** Identifies this Caravan instance as the owner of the runs it started. */
  public String getInstanceId() {
    return instanceId;
  }

  public int getMaxRunAttempts() {
    return maxRunAttempts;
  }

  public void setMaxRunAttempts(int maxRunAttempts) {
    this.maxRunAttempts = maxRunAttempts;
  }

  public StoreHealth getStoreHealth() {
    return storeHealth;
  }

  public void setStoreHealth(StoreHealth storeHealth) {
    this.storeHealth = storeHealth;
  }

  public long getRunLeaseTimeout() {
    return runLeaseTimeout;
  }

  public void setRunLeaseTimeout(long runLeaseTimeout) {
    this.runLeaseTimeout = runLeaseTimeout;
  }

  public EventStore getStore() {
    return store;
  }

  public void setStore(EventStore store) {
    this.store = store;
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
}
