package dev.caravan.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GroupCommitTest {

  private final AtomicInteger commits = new AtomicInteger();
  private JdbcDataSource dataSource;
  private Connection keepAlive;
  private StoreHealth health;
  private Jdbc jdbc;
  private ExecutorService callers;

  @BeforeEach
  void database() throws SQLException {
    dataSource = new JdbcDataSource();
    dataSource.setURL("jdbc:h2:mem:group-commit-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
    keepAlive = dataSource.getConnection();
    try (Statement statement = keepAlive.createStatement()) {
      statement.execute("CREATE TABLE item (name VARCHAR(64) PRIMARY KEY)");
    }
    health = new StoreHealth();
    jdbc = new Jdbc(countingCommits(dataSource), health);
    callers = Executors.newFixedThreadPool(8);
  }

  @AfterEach
  void close() throws SQLException {
    callers.shutdownNow();
    keepAlive.close();
  }

  @Test
  void writesThatArriveWhileAnotherCommitsShareOneCommit() throws Exception {
    commitFirstThenQueuedBehindIt(5);

    assertThat(names()).hasSize(6);
  }

  @Test
  void underASteadyLoadACommitWaitsForAsManyWritersAsTheLastOneCarried() throws Exception {
    jdbc = gathering(Duration.ofSeconds(30), Duration.ofSeconds(30));
    commitFirstThenQueuedBehindIt(3);

    List<Future<Boolean>> next = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String name = "next-" + i;
      next.add(callers.submit(() -> jdbc.write(connection -> insert(connection, name))));
    }

    for (Future<Boolean> write : next) {
      assertThat(write.get(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(commits)
        .as("the first, the batch of three, then one for the next three")
        .hasValue(3);
    assertThat(names()).hasSize(7);
  }

  @Test
  void aWriteWhoseSiblingsStoppedComingWaitsOnlyTheGap() throws Exception {
    jdbc = gathering(Duration.ofMinutes(5), Duration.ofMillis(50));
    commitFirstThenQueuedBehindIt(3);

    Future<Boolean> alone = callers.submit(() -> jdbc.write(c -> insert(c, "alone")));

    assertThat(alone.get(10, TimeUnit.SECONDS)).as("well before the window's end").isTrue();
    assertThat(commits).hasValue(3);
  }

  @Test
  void aWriterAloneDoesNotWait() throws Exception {
    jdbc = gathering(Duration.ofMinutes(5), Duration.ofMinutes(5));
    for (int i = 0; i < 5; i++) {
      String name = "sequential-" + i;
      Future<Boolean> write = callers.submit(() -> jdbc.write(c -> insert(c, name)));
      assertThat(write.get(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(commits).hasValue(5);
  }

  @Test
  void aFailingWorkIsUndoneAloneAndItsCallerGetsItsError() throws Exception {
    CountDownLatch othersQueued = new CountDownLatch(1);
    Future<Boolean> first = firstWriteHeldUntil(othersQueued);
    Future<Boolean> before = callers.submit(() -> jdbc.write(c -> insert(c, "before")));
    awaitQueued(1);
    Future<Boolean> failing =
        callers.submit(
            () ->
                jdbc.write(
                    connection -> {
                      insert(connection, "half-done");
                      throw new SQLException("the work fails after one insert");
                    }));
    awaitQueued(2);
    Future<Boolean> after = callers.submit(() -> jdbc.write(c -> insert(c, "after")));
    awaitQueued(3);
    othersQueued.countDown();

    assertThat(first.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(before.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(after.get(10, TimeUnit.SECONDS)).isTrue();
    assertThatThrownBy(() -> failing.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(StoreException.class)
        .hasRootCauseMessage("the work fails after one insert");
    assertThat(names()).containsExactlyInAnyOrder("first", "before", "after");
  }

  @Test
  void aWriteReturnsItsOwnResultOnlyOnceCommitted() throws Exception {
    Integer rows =
        jdbc.write(
            connection -> {
              insert(connection, "one");
              assertThat(namesSeenByAnotherConnection()).as("not committed yet").isEmpty();
              return 1;
            });
    assertThat(rows).isEqualTo(1);
    assertThat(namesSeenByAnotherConnection()).containsExactly("one");
    assertThat(health.failing()).isEmpty();
  }

  @Test
  void aWriteFromInsideAWriteGetsATransactionOfItsOwn() {
    jdbc.write(
        outer -> {
          insert(outer, "outer");
          jdbc.write(inner -> insert(inner, "inner"));
          assertThat(namesSeenByAnotherConnection()).containsExactly("inner");
          return null;
        });
    assertThat(names()).containsExactlyInAnyOrder("outer", "inner");
  }

  @Test
  void writesShareCommitsOnAnEmbeddedH2OnlyNotBehindASocket() {
    assertThat(jdbc.grouping()).as("the test's in-memory H2").isTrue();
    assertThat(GroupCommit.suits("jdbc:h2:file:./caravan-data/caravan;WRITE_DELAY=0")).isTrue();
    assertThat(GroupCommit.suits("jdbc:h2:./data/caravan")).isTrue();
    assertThat(GroupCommit.suits("jdbc:h2:file:/tmp/db;WRITE_DELAY=0;auto_server=true")).isFalse();
    assertThat(GroupCommit.suits("jdbc:h2:tcp://db.example/caravan")).isFalse();
    assertThat(GroupCommit.suits("jdbc:postgresql://db.example:5432/caravan")).isFalse();
  }

  @Test
  void aFailedWriteMarksTheStoreFailingAndTheNextWrittenOneClearsIt() {
    assertThatThrownBy(
            () ->
                jdbc.write(
                    connection -> {
                      insert(connection, "same");
                      return insert(connection, "same");
                    }))
        .isInstanceOf(StoreException.class);
    assertThat(health.failing()).isPresent();
    assertThat(names()).as("the failed work left nothing").isEmpty();

    jdbc.write(connection -> insert(connection, "same"));
    assertThat(health.failing()).isEmpty();
  }

  /** A store whose shared commits wait for more writers as given. */
  private Jdbc gathering(Duration window, Duration gap) {
    return new Jdbc(countingCommits(dataSource), health, window, gap);
  }

  /**
   * Commits "first" alone, then the given number of writes, queued behind it (not yet run: the
   * first holds the writer's lock), in one commit.
   */
  private void commitFirstThenQueuedBehindIt(int count) throws Exception {
    CountDownLatch othersQueued = new CountDownLatch(1);
    Future<Boolean> first = firstWriteHeldUntil(othersQueued);
    List<Future<Boolean>> others = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = "batch-" + i;
      others.add(callers.submit(() -> jdbc.write(connection -> insert(connection, name))));
    }
    awaitQueued(count);
    othersQueued.countDown();
    assertThat(first.get(10, TimeUnit.SECONDS)).isTrue();
    for (Future<Boolean> other : others) {
      assertThat(other.get(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(commits).as("the first commit, then one for those queued behind it").hasValue(2);
  }

  /** Starts a write that inserts "first" once released, and returns when it holds the writer. */
  private Future<Boolean> firstWriteHeldUntil(CountDownLatch release) {
    CountDownLatch running = new CountDownLatch(1);
    Future<Boolean> first =
        callers.submit(
            () ->
                jdbc.write(
                    connection -> {
                      running.countDown();
                      waitFor(release);
                      return insert(connection, "first");
                    }));
    waitFor(running);
    return first;
  }

  private void awaitQueued(int count) {
    await().atMost(Duration.ofSeconds(10)).until(() -> jdbc.queuedWrites() >= count);
  }

  /** The data source, with every commit of its connections counted. */
  private DataSource countingCommits(DataSource target) {
    InvocationHandler countCommits =
        (proxy, method, args) -> {
          if (method.getName().equals("getConnection")) {
            Connection connection = (Connection) method.invoke(target, args);
            return Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {Connection.class},
                (p, m, a) -> {
                  if (m.getName().equals("commit")) {
                    commits.incrementAndGet();
                  }
                  return invoke(m, connection, a);
                });
          }
          return invoke(method, target, args);
        };
    return (DataSource)
        Proxy.newProxyInstance(
            getClass().getClassLoader(), new Class<?>[] {DataSource.class}, countCommits);
  }

  private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static void waitFor(CountDownLatch latch) {
    try {
      assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static boolean insert(Connection connection, String name) throws SQLException {
    try (PreparedStatement insert = connection.prepareStatement("INSERT INTO item VALUES (?)")) {
      insert.setString(1, name);
      return insert.executeUpdate() == 1;
    }
  }

  private List<String> names() {
    return jdbc.inTransaction(GroupCommitTest::names);
  }

  private List<String> namesSeenByAnotherConnection() {
    try (Connection other = dataSource.getConnection()) {
      return names(other);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> names(Connection connection) throws SQLException {
    List<String> names = new ArrayList<>();
    try (Statement query = connection.createStatement();
        ResultSet rows = query.executeQuery("SELECT name FROM item")) {
      while (rows.next()) {
        names.add(rows.getString(1));
      }
    }
    return names;
  }
}
