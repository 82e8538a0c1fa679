package dev.caravan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A step's process as a test saw it, by its identity rather than its number: Linux hands a pid (and
 * thread ids come from the same space) to a new process once its owner is gone, and on a busy
 * machine that takes seconds, so "pid N is alive" can be about somebody else.
 */
public final class TestProcesses {

  private TestProcesses() {}

  /** The running process with this pid, as it is now; empty if it has already gone. */
  public static Optional<ProcessHandle> running(long pid) {
    return ProcessHandle.of(pid).filter(TestProcesses::alive);
  }

  /** The running process with this pid, failing the test if there is none. */
  public static ProcessHandle runningOrFail(long pid) {
    return running(pid).orElseThrow(() -> new AssertionError("no running process with pid " + pid));
  }

  /**
   * Alive and not a zombie (an orphan killed in a container may wait for a PID 1 that never reaps
   * it). The handle keeps the process's start time, so a later process with the same pid is not it.
   */
  public static boolean alive(ProcessHandle process) {
    if (!process.isAlive()) {
      return false;
    }
    Path stat = Path.of("/proc", Long.toString(process.pid()), "stat");
    if (!Files.exists(stat)) {
      return true;
    }
    try {
      String text = Files.readString(stat);
      String afterName = text.substring(text.lastIndexOf(')') + 1).trim();
      return !afterName.startsWith("Z") && !afterName.startsWith("X");
    } catch (IOException | RuntimeException gone) {
      return false;
    }
  }

  /** Kills the process and its descendants, if it is still the one the test saw. */
  public static void killTree(ProcessHandle process) {
    if (process.isAlive()) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }
}
