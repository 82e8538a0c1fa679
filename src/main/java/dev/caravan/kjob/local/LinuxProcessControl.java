package dev.caravan.kjob.local;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import java.util.Locale;
import java.util.Optional;

/**
 * The few Linux system calls the local executor needs that Java has no API for, through JNA: {@code
 * prctl} (not dumpable, child subreaper), {@code kill} of a process group and {@code waitpid} of
 * one adopted orphan.
 */
final class LinuxProcessControl {

  private static final int PR_GET_DUMPABLE = 3;
  private static final int PR_SET_DUMPABLE = 4;
  private static final int PR_SET_CHILD_SUBREAPER = 36;
  private static final int PR_GET_CHILD_SUBREAPER = 37;
  private static final int WNOHANG = 1;
  private static final int ESRCH = 3;
  private static final int ECHILD = 10;
  static final int SIGKILL = 9;

  /** libc, as JNA maps it; {@code prctl}'s arguments are C longs. */
  interface CLibrary extends Library {
    int prctl(int option, NativeLong arg2, NativeLong arg3, NativeLong arg4, NativeLong arg5)
        throws LastErrorException;

    int prctl(int option, int[] result, NativeLong arg3, NativeLong arg4, NativeLong arg5)
        throws LastErrorException;

    int kill(int pid, int signal) throws LastErrorException;

    int waitpid(int pid, int[] status, int options) throws LastErrorException;
  }

  private static final NativeLong ZERO = new NativeLong(0);
  private static final Availability AVAILABILITY = load();

  /** libc, or why it cannot be used here. */
  private record Availability(LinuxProcessControl control, String problem) {}

  private final CLibrary libc;

  private LinuxProcessControl(CLibrary libc) {
    this.libc = libc;
  }

  /** This JVM's binding, or empty when not on Linux or when JNA cannot load libc. */
  static Optional<LinuxProcessControl> get() {
    return Optional.ofNullable(AVAILABILITY.control());
  }

  /** Why {@link #get()} is empty; {@code null} when it is not. */
  static String unavailableBecause() {
    return AVAILABILITY.problem();
  }

  private static Availability load() {
    String os = System.getProperty("os.name", "unknown");
    if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
      return new Availability(null, "not Linux (" + os + ")");
    }
    try {
      if (!Platform.isLinux()) {
        return new Availability(null, "JNA does not see Linux here");
      }
      return new Availability(
          new LinuxProcessControl(Native.load(Platform.C_LIBRARY_NAME, CLibrary.class)), null);
    } catch (LinkageError | RuntimeException e) {
      return new Availability(null, "JNA could not load the C library: " + e);
    }
  }

  /**
   * {@code prctl(PR_SET_DUMPABLE, 0)}: {@code /proc/<pid>/environ}, {@code mem}, {@code fd} and
   * friends of this process belong to root from now on, and no process of the same user may ptrace
   * it or read them.
   */
  void makeNotDumpable() {
    libc.prctl(PR_SET_DUMPABLE, ZERO, ZERO, ZERO, ZERO);
  }

  boolean isDumpable() {
    return libc.prctl(PR_GET_DUMPABLE, ZERO, ZERO, ZERO, ZERO) != 0;
  }

  /**
   * {@code prctl(PR_SET_CHILD_SUBREAPER, 1)}: processes orphaned below this one are reparented to
   * it rather than to init, so that they can still be found and killed (and must be reaped).
   */
  void becomeChildSubreaper() {
    libc.prctl(PR_SET_CHILD_SUBREAPER, new NativeLong(1), ZERO, ZERO, ZERO);
  }

  boolean isChildSubreaper() {
    int[] flag = new int[1];
    libc.prctl(PR_GET_CHILD_SUBREAPER, flag, ZERO, ZERO, ZERO);
    return flag[0] != 0;
  }

  /**
   * Sends SIGKILL to a process ({@code pid > 0}) or a process group ({@code pid < 0}).
   *
   * @return false when there was no such process (any more)
   */
  boolean kill(long pid) {
    if (Math.abs(pid) <= 1) {
      // 0, 1 and -1 mean "my group", init and "every process I may signal"
      throw new IllegalArgumentException("kill needs a process or group id, not " + pid);
    }
    try {
      libc.kill(Math.toIntExact(pid), SIGKILL);
      return true;
    } catch (LastErrorException e) {
      if (e.getErrorCode() == ESRCH) {
        return false;
      }
      throw e;
    }
  }

  /**
   * {@code waitpid(pid, WNOHANG)} on one child of this process: never on -1, which would take the
   * exit status of children that Java itself waits for.
   *
   * @return true when the child was reaped now or is no child (any more), false while it runs
   */
  boolean reap(long pid) {
    if (pid <= 0) {
      throw new IllegalArgumentException("reap needs one process id, not " + pid);
    }
    try {
      return libc.waitpid(Math.toIntExact(pid), null, WNOHANG) != 0;
    } catch (LastErrorException e) {
      if (e.getErrorCode() == ECHILD) {
        return true;
      }
      throw e;
    }
  }
}
