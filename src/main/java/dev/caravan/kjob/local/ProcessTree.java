package dev.caravan.kjob.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Starts a step's process as the leader of its own session and process group ({@link SessionSpawn}
 * where glibc allows, else through {@code setsid}), so that the whole tree, including children that
 * ignore SIGTERM or were orphaned, can be killed as a container's would be; what leaves the group
 * is the {@link OrphanReaper}'s.
 */
final class ProcessTree {

  private static final Path SETSID = Path.of("/usr/bin/setsid");
  private static final boolean HAS_SETSID = Files.isExecutable(SETSID);

  /** Processes Caravan started and Java waits for: never killed as orphans, never reaped. */
  private static final Set<Long> STARTED = ConcurrentHashMap.newKeySet();

  /**
   * Starts begun and ended: between posix_spawn's fork and the pid reaching {@link #STARTED}, a new
   * child of Caravan looks like an orphan to the {@link OrphanReaper}, which therefore leaves such
   * children alone while a start is under way (see {@link #spawnMark()}).
   */
  private static final AtomicLong SPAWNS_BEGUN = new AtomicLong();

  private static final AtomicLong SPAWNS_ENDED = new AtomicLong();

  private ProcessTree() {}

  /**
   * The number of starts so far, or -1 while one is under way: a child of Caravan that is not in
   * {@link #isStartedByCaravan} is no step's process being started when {@link #noStartSince} is
   * still true for the mark taken before it was seen.
   */
  static long spawnMark() {
    long ended = SPAWNS_ENDED.get();
    long begun = SPAWNS_BEGUN.get();
    return begun == ended ? begun : -1;
  }

  /** Whether no start has begun since the mark (and none was under way when it was taken). */
  static boolean noStartSince(long mark) {
    return mark >= 0 && SPAWNS_BEGUN.get() == mark;
  }

  private interface Start {
    Process start() throws IOException;
  }

  private static Process tracked(Start start) throws IOException {
    SPAWNS_BEGUN.incrementAndGet();
    try {
      Process process = start.start();
      STARTED.add(process.pid());
      return process;
    } finally {
      SPAWNS_ENDED.incrementAndGet();
    }
  }

  /**
   * Starts a step's process in a session of its own, output and standard error on one pipe, and
   * remembers it as Caravan's own until {@link #awaitExit} has seen it exit.
   */
  static Process startStep(List<String> command, Map<String, String> environment, Path directory)
      throws IOException {
    Optional<SessionSpawn> spawn = SessionSpawn.get();
    if (spawn.isPresent()) {
      return tracked(() -> spawn.get().start(command, environment, directory));
    }
    return startThroughSetsid(command, environment, directory);
  }

  /** How {@link #startStep} starts a step where {@link SessionSpawn} cannot be had. */
  static Process startThroughSetsid(
      List<String> command, Map<String, String> environment, Path directory) throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(inOwnSession(command))
            .directory(directory.toFile())
            .redirectErrorStream(true);
    builder.environment().clear();
    builder.environment().putAll(environment);
    return tracked(builder::start);
  }

  /** Whether steps lead a process group of their own here (else group kills do nothing). */
  static boolean stepsLeadTheirGroups() {
    return HAS_SETSID || SessionSpawn.get().isPresent();
  }

  /** The command line that starts {@code command} in a new session. */
  static List<String> inOwnSession(List<String> command) {
    if (!HAS_SETSID) {
      return command;
    }
    List<String> wrapped = new ArrayList<>(command.size() + 1);
    wrapped.add(SETSID.toString());
    wrapped.addAll(command);
    return wrapped;
  }

  /** Starts the process and remembers it as Caravan's own until it has exited. */
  static Process start(ProcessBuilder builder) throws IOException {
    Process process = tracked(builder::start);
    long pid = process.pid();
    process.onExit().whenComplete((ended, error) -> STARTED.remove(pid));
    return process;
  }

  /** Waits until a process from {@link #startStep} has exited (and was reaped). */
  static int awaitExit(Process process) {
    boolean interrupted = false;
    int exitCode;
    while (true) {
      try {
        exitCode = process.waitFor();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    STARTED.remove(process.pid());
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return exitCode;
  }

  /** Whether Caravan started this process itself (and Java reaps it). */
  static boolean isStartedByCaravan(long pid) {
    return STARTED.contains(pid);
  }

  /** SIGKILLs the process, its process group and every descendant still known to the JVM. */
  static void kill(Process process) {
    List<ProcessHandle> descendants = process.descendants().toList();
    killGroup(process.pid());
    process.destroyForcibly();
    descendants.forEach(ProcessHandle::destroyForcibly);
  }

  /** Kills what is left of the process group after its leader exited. */
  static void killGroup(long pgid) {
    if (!stepsLeadTheirGroups() || pgid <= 1) {
      return;
    }
    Optional<LinuxProcessControl> linux = LinuxProcessControl.get();
    if (linux.isPresent()) {
      linux.get().kill(-pgid);
      return;
    }
    try {
      Process kill =
          start(
              new ProcessBuilder("kill", "-KILL", "--", "-" + pgid)
                  .redirectErrorStream(true)
                  .redirectOutput(ProcessBuilder.Redirect.DISCARD));
      kill.waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      // nothing left to kill, or no kill command: the leader is gone either way
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
