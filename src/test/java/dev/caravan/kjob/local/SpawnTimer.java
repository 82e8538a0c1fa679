package dev.caravan.kjob.local;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Times the executor's own way of starting a process, from plain Java, for the benchmark. */
public final class SpawnTimer {

  private SpawnTimer() {}

  /** Whether steps start through posix_spawn here (else through {@code setsid}). */
  public static boolean available() {
    return SessionSpawn.get().isPresent();
  }

  /**
   * Milliseconds of one {@code /bin/sh -c true} started as the local executor starts a step
   * (posix_spawn in a new session, output read to its end, exit awaited), or empty where steps
   * start through {@code setsid} instead.
   */
  public static Optional<Double> sessionSpawnMillis(Path directory) throws Exception {
    Optional<SessionSpawn> spawn = SessionSpawn.get();
    if (spawn.isEmpty()) {
      return Optional.empty();
    }
    long start = System.nanoTime();
    Process process = spawn.get().start(List.of("/bin/sh", "-c", "true"), Map.of(), directory);
    process.getOutputStream().close();
    process.getInputStream().readAllBytes();
    if (process.waitFor() != 0) {
      throw new IllegalStateException("true failed");
    }
    return Optional.of((System.nanoTime() - start) / 1e6);
  }
}
