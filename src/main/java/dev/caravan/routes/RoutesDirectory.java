package dev.caravan.routes;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.ExtendedStartupListener;
import org.apache.camel.FailedToCreateRouteException;
import org.apache.camel.Route;
import org.apache.camel.RouteConfigurationsBuilder;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.TemplatedRouteDefinition;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Extra YAML routes from one directory ({@code caravan.routes-dir}, env {@code
 * CARAVAN_ROUTES_DIR}): every {@code *.yaml} file in it is loaded once the CamelContext has
 * started, and loaded again, file by file, when it is added, changed or removed.
 *
 * <p>Each file stands alone. A file that does not load (bad YAML, an unknown step, a route without
 * an id, a route id that another route already has, an endpoint that fails when its route starts)
 * is reported, by a WARN log line and by {@link #files()}, and changes nothing else: the other
 * files' routes and the built-in routes keep running, and when a file that had loaded is changed
 * into a broken one, its previous version keeps running until the file is fixed or removed.
 *
 * <p>Changes are noticed through the JDK's {@link WatchService} (inotify on Linux) and, as a safety
 * net for file systems without change events, by a full rescan every {@code rescanInterval}. A
 * rescan compares file contents, so a Kubernetes ConfigMap update (an atomic swap of a symlinked
 * directory) counts as a change of exactly the files whose content changed. Files whose name starts
 * with a dot are ignored, and so are subdirectories.
 *
 * <p>Plain Camel: {@link RoutesDirectoryPlugin} adds one to every CamelContext (Spring Boot,
 * camel-main, Camel K); without the property it does nothing.
 */
public class RoutesDirectory extends ServiceSupport
    implements CamelContextAware, ExtendedStartupListener {

  /** The property naming the directory; empty or absent switches extra routes off. */
  public static final String PROPERTY = "caravan.routes-dir";

  private static final Logger LOG = LoggerFactory.getLogger(RoutesDirectory.class);
  private static final int MAX_ERROR_LENGTH = 2000;

  private CamelContext camelContext;
  private String directory;
  private long rescanInterval = 30_000;
  private long quietPeriod = 200;

  private volatile Path dir;
  private WatchService watcher;
  private ExecutorService watchThread;
  private boolean begun;
  private boolean unlistable;

  /** What each file last contributed, by file name; guarded by this. */
  private final Map<String, Loaded> loaded = new TreeMap<>();

  /** {@link #loaded} as last published, for readers that must not wait for a reload (health). */
  private volatile List<FileStatus> published = List.of();

  /** One file's state: the content that runs (if any), and the error of its latest version. */
  private record Loaded(
      String hash, byte[] running, Set<String> routeIds, String failedHash, String error) {}

  /**
   * What one file contributes.
   *
   * @param file the file name within the directory
   * @param routeIds the ids of the routes from this file that run (for a file whose latest version
   *     failed, those of its previous version, if any)
   * @param error why the latest version of the file did not load, or null when it did
   */
  public record FileStatus(String file, List<String> routeIds, String error) {
    public boolean loaded() {
      return error == null;
    }
  }

  @Override
  public CamelContext getCamelContext() {
    return camelContext;
  }

  @Override
  public void setCamelContext(CamelContext camelContext) {
    this.camelContext = camelContext;
  }

  /** The directory to watch; when not set, the {@code caravan.routes-dir} property. */
  public void setDirectory(String directory) {
    this.directory = directory;
  }

  /** Milliseconds between full rescans when no change event arrives (default 30 s). */
  public void setRescanInterval(long rescanInterval) {
    this.rescanInterval = rescanInterval;
  }

  /** Milliseconds without further events before a burst of changes is applied (default 200). */
  public void setQuietPeriod(long quietPeriod) {
    this.quietPeriod = quietPeriod;
  }

  /** The watched directory, or null when extra routes are off. */
  public Path getDirectory() {
    return dir;
  }

  /**
   * The files of the directory and what each contributes, by file name, as of the last completed
   * scan (never waits for a reload in progress).
   */
  public List<FileStatus> files() {
    return published;
  }

  /** True when every file of the directory loaded (as of the last completed scan). */
  public boolean isHealthy() {
    return published.stream().allMatch(FileStatus::loaded);
  }

  private void publish() {
    List<FileStatus> files = new ArrayList<>();
    loaded.forEach(
        (name, state) ->
            files.add(new FileStatus(name, List.copyOf(state.routeIds()), state.error())));
    published = List.copyOf(files);
  }

  @Override
  protected void doStart() throws Exception {
    String configured =
        directory != null
            ? directory
            : camelContext.getPropertiesComponent().resolveProperty(PROPERTY).orElse("");
    if (configured.isBlank()) {
      return;
    }
    Path path = Path.of(configured.trim()).toAbsolutePath().normalize();
    if (!Files.isDirectory(path)) {
      throw new IllegalArgumentException(
          PROPERTY + ": " + path + " is not a directory (extra routes are read from a directory)");
    }
    dir = path;
    // routes from the directory are added once the built-in ones run, so that a broken file
    // cannot fail the start of the CamelContext
    camelContext.addStartupListener(this);
  }

  @Override
  public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) throws Exception {
    if (alreadyStarted) {
      begin();
    }
  }

  @Override
  public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted)
      throws Exception {
    begin();
  }

  private synchronized void begin() throws IOException {
    if (dir == null || begun || !isRunAllowed()) {
      return;
    }
    begun = true;
    // watch before the first scan, so that nothing changed in between is missed
    watcher = FileSystems.getDefault().newWatchService();
    dir.register(
        watcher,
        StandardWatchEventKinds.ENTRY_CREATE,
        StandardWatchEventKinds.ENTRY_MODIFY,
        StandardWatchEventKinds.ENTRY_DELETE);
    LOG.info("Extra routes: watching {} for *.yaml files", dir);
    scan();
    watchThread =
        camelContext
            .getExecutorServiceManager()
            .newSingleThreadExecutor(this, "caravan-routes-dir");
    watchThread.execute(this::watch);
  }

  @Override
  protected void doStop() throws Exception {
    if (watcher != null) {
      watcher.close();
      watcher = null;
    }
    if (watchThread != null) {
      camelContext.getExecutorServiceManager().shutdownNow(watchThread);
      watchThread = null;
    }
    synchronized (this) {
      begun = false;
      loaded.clear();
      publish();
    }
  }

  private void watch() {
    WatchService events = watcher;
    while (isRunAllowed() && events != null) {
      try {
        WatchKey key = events.poll(rescanInterval, TimeUnit.MILLISECONDS);
        if (key != null) {
          drain(key);
          // let a burst settle (an editor's save, a ConfigMap's symlink swap) before reloading
          WatchKey more;
          while ((more = events.poll(quietPeriod, TimeUnit.MILLISECONDS)) != null) {
            drain(more);
          }
        }
        scan();
      } catch (ClosedWatchServiceException | InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        LOG.warn("Extra routes: scanning {} failed: {}", dir, e.getMessage(), e);
      }
    }
  }

  private void drain(WatchKey key) {
    key.pollEvents();
    if (!key.reset()) {
      LOG.warn(
          "Extra routes: {} can no longer be watched (removed?); rescanning every {} ms",
          dir,
          rescanInterval);
    }
  }

  /**
   * Brings the routes in line with the directory: loads new and changed files, unloads gone ones.
   */
  public synchronized void scan() {
    if (dir == null || !isRunAllowed()) {
      return;
    }
    Map<String, Path> present = new TreeMap<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.yaml")) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (!name.startsWith(".") && Files.isRegularFile(entry)) {
          present.put(name, entry);
        }
      }
    } catch (IOException e) {
      if (!unlistable) {
        LOG.warn(
            "Extra routes: cannot list {} ({}); keeping the routes as they are", dir, e.toString());
        unlistable = true;
      }
      return;
    }
    unlistable = false;
    boolean changed = false;
    for (String name : new ArrayList<>(loaded.keySet())) {
      if (!present.containsKey(name)) {
        unload(name);
        changed = true;
      }
    }
    Map<String, byte[]> contents = new LinkedHashMap<>();
    for (Map.Entry<String, Path> entry : present.entrySet()) {
      try {
        contents.put(entry.getKey(), Files.readAllBytes(entry.getValue()));
      } catch (IOException e) {
        // removed between listing and reading: the next event or rescan sees it gone
        LOG.debug("Extra routes: cannot read {}: {}", entry.getValue(), e.toString());
      }
    }
    List<String> retry = new ArrayList<>();
    for (Map.Entry<String, byte[]> entry : contents.entrySet()) {
      String name = entry.getKey();
      String hash = sha256(entry.getValue());
      Loaded state = loaded.get(name);
      if (state == null
          || (state.error() == null && !hash.equals(state.hash()))
          || (state.error() != null && !hash.equals(state.failedHash()))) {
        load(name, entry.getValue(), hash);
        changed = true;
      } else if (state.error() != null) {
        retry.add(name);
      }
    }
    // a file that failed because of another (say, a route id both use) may load now
    if (changed) {
      for (String name : retry) {
        byte[] content = contents.get(name);
        load(name, content, sha256(content));
      }
    }
    publish();
  }

  private void load(String name, byte[] content, String hash) {
    Loaded before = loaded.get(name);
    Set<String> running = before == null ? Set.of() : before.routeIds();
    Prepared next;
    try {
      next = prepare(name, content, running);
    } catch (Exception e) {
      // nothing has changed: whatever ran from this file keeps running
      failed(
          name,
          before,
          running,
          hash,
          e,
          running.isEmpty() ? "" : "; its previous version keeps running");
      return;
    }
    try {
      apply(next, running);
    } catch (Exception e) {
      String kept = "";
      Set<String> restored = Set.of();
      if (before != null && before.running() != null) {
        try {
          Prepared previous = prepare(name, before.running(), Set.of());
          apply(previous, Set.of());
          restored = previous.routeIds();
          kept = "; its previous version keeps running";
        } catch (Exception again) {
          kept = "; its previous version could not be restored either: " + describe(again);
        }
      }
      failed(name, before, restored, hash, e, kept, FailedNodes.line(next.builders(), e));
      return;
    }
    loaded.put(name, new Loaded(hash, content, next.routeIds(), null, null));
    LOG.info(
        "Extra routes: {} {} (routes: {})",
        before == null ? "loaded" : "reloaded",
        name,
        String.join(", ", next.routeIds()));
  }

  private void failed(
      String name, Loaded before, Set<String> running, String hash, Exception e, String kept) {
    failed(name, before, running, hash, e, kept, -1);
  }

  private void failed(
      String name,
      Loaded before,
      Set<String> running,
      String hash,
      Exception e,
      String kept,
      int line) {
    String error = describe(e, line < 0 ? null : name + ":" + line);
    boolean runs = !running.isEmpty() && before != null && before.running() != null;
    loaded.put(
        name,
        new Loaded(
            runs ? before.hash() : null,
            runs ? before.running() : null,
            runs ? running : Set.of(),
            hash,
            error));
    LOG.warn("Extra routes: {} in {} did not load: {}{}", name, dir, error, kept);
  }

  private void unload(String name) {
    Loaded state = loaded.remove(name);
    if (state != null) {
      remove(state.routeIds());
      LOG.info("Extra routes: {} removed (routes: {})", name, String.join(", ", state.routeIds()));
    }
  }

  /** A parsed file whose route ids passed the checks; nothing of it is in the CamelContext yet. */
  private record Prepared(List<RouteBuilder> builders, Set<String> routeIds) {}

  /** Parses one file and checks its route ids, without changing any route. */
  private Prepared prepare(String name, byte[] content, Set<String> running) throws Exception {
    Resource resource = ResourceHelper.fromBytes("file:" + dir.resolve(name), content);
    List<RouteBuilder> builders = new ArrayList<>();
    for (RoutesBuilder builder :
        PluginHelper.getRoutesLoader(camelContext).findRoutesBuilders(List.of(resource))) {
      if (!(builder instanceof RouteBuilder routeBuilder)) {
        throw new IllegalArgumentException("unsupported routes builder " + builder.getClass());
      }
      builders.add(routeBuilder);
    }
    Set<String> ids = new LinkedHashSet<>();
    for (RouteBuilder builder : builders) {
      builder.configureRoutes(camelContext);
      for (RouteDefinition route : builder.getRouteCollection().getRoutes()) {
        claim(ids, route.hasCustomIdAssigned() ? route.getRouteId() : null, running);
      }
      for (TemplatedRouteDefinition route :
          builder.getTemplatedRouteCollection().getTemplatedRoutes()) {
        claim(ids, route.getRouteId(), running);
      }
    }
    return new Prepared(builders, ids);
  }

  /**
   * Replaces the file's running routes by the prepared ones. On failure no route of the new version
   * is left behind (the caller restores the previous version).
   */
  private void apply(Prepared next, Set<String> running) throws Exception {
    remove(running);
    try {
      for (RouteBuilder builder : next.builders()) {
        if (builder instanceof RouteConfigurationsBuilder configurations) {
          configurations.updateRouteConfigurationsToCamelContext(camelContext);
        }
      }
      for (RouteBuilder builder : next.builders()) {
        builder.addRoutesToCamelContext(camelContext);
        builder.addTemplatedRoutesToCamelContext(camelContext);
      }
    } catch (Exception e) {
      remove(next.routeIds());
      throw e;
    }
  }

  private void claim(Set<String> ids, String id, Set<String> running) {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException(
          "every route needs an id (a pipeline is identified by its route id)");
    }
    if (!ids.add(id)) {
      throw new IllegalArgumentException("route id '" + id + "' is used twice in this file");
    }
    Route other = camelContext.getRoute(id);
    if (other != null && !running.contains(id)) {
      String source = other.getSourceLocationShort();
      throw new IllegalArgumentException(
          "route id '"
              + id
              + "' is already used by another route"
              + (source == null ? "" : " (" + source + ")"));
    }
  }

  private void remove(Set<String> routeIds) {
    for (String id : routeIds) {
      if (camelContext.getRoute(id) == null) {
        continue;
      }
      try {
        camelContext.getRouteController().stopRoute(id);
        camelContext.removeRoute(id);
      } catch (Exception e) {
        LOG.warn("Extra routes: could not remove route {}: {}", id, e.getMessage(), e);
      }
    }
  }

  /**
   * The message of the root cause first (the part a route author acts on, such as {@code kjob:
   * unknown option 'scirpt' (did you mean 'script'?)}) with the route's id, then Camel's message,
   * on one line and not overly long.
   */
  static String describe(Throwable error) {
    return describe(error, null);
  }

  /** As {@link #describe(Throwable)}, with the file and line of the failing node when known. */
  static String describe(Throwable error, String where) {
    String message = String.valueOf(error.getMessage());
    Throwable root = error;
    String routeId = null;
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      root = cause;
      if (routeId == null && cause instanceof FailedToCreateRouteException failed) {
        routeId = failed.getRouteId();
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    if (root != error && root.getMessage() != null) {
      message =
          root.getMessage()
              + (where == null ? "" : " in " + where)
              + (routeId == null ? "" : (where == null ? " in" : ",") + " route " + routeId)
              + " (Camel: "
              + message
              + ")";
    }
    message = message.replaceAll("\\s+", " ").trim();
    return message.length() > MAX_ERROR_LENGTH
        ? message.substring(0, MAX_ERROR_LENGTH) + "..."
        : message;
  }

  private static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
