package dev.caravan.kjob.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Starts a step's process as the leader of its own process group (via {@code setsid} where
 * available), so that the whole tree, including children that ignore SIGTERM or were orphaned, can
 * be killed as a container's would be; what leaves the group is the {@link OrphanReaper}'s.
 */
final class ProcessTree {

  private static final Path SETSID = Path.of("/usr/bin/setsid");
  private static final boolean HAS_SETSID = Files.isExecutable(SETSID);

  /** Processes Caravan started and Java waits for: never killed as orphans, never reaped. */
  private static final Set<Long> STARTED = ConcurrentHashMap.newKeySet();

  private ProcessTree() {}

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
    Process process = builder.start();
    long pid = process.pid();
    STARTED.add(pid);
    process.onExit().whenComplete((ended, error) -> STARTED.remove(pid));
    return process;
  }

  /** Whether Caravan started this process itself (and Java reaps it). */
  static boolean isStartedByCaravan(long pid) {
    return STARTED.contains(pid);
  }

  /** SIGKILLs the process, its process group and every descendant still known to the JVM. */
  static void kill(Process process) {
    List<ProcessHandle> descendants = process.descendants().toList();
    if (HAS_SETSID) {
      killGroup(process.pid());
    }
    process.destroyForcibly();
    descendants.forEach(ProcessHandle::destroyForcibly);
  }

  /** Kills what is left of the process group after its leader exited. */
  static void killGroup(long pgid) {
    if (!HAS_SETSID || pgid <= 1) {
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
