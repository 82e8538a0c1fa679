package dev.caravan.kjob.local;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts a step's process with glibc's {@code posix_spawn}, as the leader of a session of its own
 * ({@code POSIX_SPAWN_SETSID}), standard input and the merged output on pipes, every other
 * descriptor closed, signals unblocked and at their defaults. That is one {@code exec}: the JDK's
 * launcher runs its helper program first and a {@code setsid} program would be a third, each about
 * as dear as the step's own shell. Where this glibc lacks a function it needs (it needs 2.34), or
 * JNA cannot load it, {@link #get()} is empty and steps start through {@link ProcessBuilder} and
 * {@code setsid}.
 */
final class SessionSpawn {

  private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
  private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
  private static final short POSIX_SPAWN_SETSID = 0x80;
  private static final int O_CLOEXEC = 0x80000;
  static final int EINTR = 4;

  /** Larger than glibc's {@code posix_spawn_file_actions_t}, {@code posix_spawnattr_t}, sigset. */
  private static final int OPAQUE_BYTES = 1024;

  /** The functions of libc this needs, as JNA maps them. */
  interface SpawnLibrary extends Library {
    int posix_spawnp(
        int[] pid, String file, Pointer actions, Pointer attributes, String[] argv, String[] envp);

    int posix_spawn_file_actions_init(Pointer actions);

    int posix_spawn_file_actions_destroy(Pointer actions);

    int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newFd);

    int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int from);

    int posix_spawn_file_actions_addchdir_np(Pointer actions, String directory);

    int posix_spawnattr_init(Pointer attributes);

    int posix_spawnattr_destroy(Pointer attributes);

    int posix_spawnattr_setflags(Pointer attributes, short flags);

    int posix_spawnattr_setsigmask(Pointer attributes, Pointer signals);

    int posix_spawnattr_setsigdefault(Pointer attributes, Pointer signals);

    int sigemptyset(Pointer signals);

    int sigfillset(Pointer signals);

    int pipe2(int[] fds, int flags) throws LastErrorException;

    int close(int fd);

    NativeLong read(int fd, Pointer buffer, NativeLong count) throws LastErrorException;

    NativeLong write(int fd, Pointer buffer, NativeLong count) throws LastErrorException;

    int waitpid(int pid, int[] status, int options) throws LastErrorException;

    int kill(int pid, int signal) throws LastErrorException;

    String strerror(int error);
  }

  private static final Optional<SessionSpawn> INSTANCE = load();

  private final SpawnLibrary libc;

  private SessionSpawn(SpawnLibrary libc) {
    this.libc = libc;
  }

  /** This JVM's spawner, or empty where posix_spawn with a new session cannot be had. */
  static Optional<SessionSpawn> get() {
    return INSTANCE;
  }

  private static Optional<SessionSpawn> load() {
    try {
      if (!Platform.isLinux()) {
        return Optional.empty();
      }
      NativeLibrary library = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME);
      // the newest of the functions: missing from musl and from glibc before 2.34
      library.getFunction("posix_spawn_file_actions_addclosefrom_np");
      library.getFunction("posix_spawn_file_actions_addchdir_np");
      return Optional.of(
          new SessionSpawn(Native.load(Platform.C_LIBRARY_NAME, SpawnLibrary.class)));
    } catch (LinkageError | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Starts {@code command} (the program looked up on Caravan's own {@code PATH}, as {@link
   * ProcessBuilder} does) in {@code directory} with exactly {@code environment}.
   *
   * @throws IOException when it cannot be started, worded as {@link ProcessBuilder#start()} does
   */
  Process start(List<String> command, Map<String, String> environment, Path directory)
      throws IOException {
    String[] argv = command.toArray(String[]::new);
    for (String arg : argv) {
      if (arg.indexOf('\0') >= 0) {
        throw new IOException("invalid null character in command");
      }
    }
    String[] envp = new String[environment.size()];
    int i = 0;
    for (Map.Entry<String, String> variable : environment.entrySet()) {
      envp[i++] = variable.getKey() + "=" + variable.getValue();
    }
    int[] input = pipe();
    int[] output;
    try {
      output = pipe();
    } catch (IOException e) {
      closeBoth(input);
      throw e;
    }
    int[] pid = new int[1];
    int error;
    try (Memory actions = new Memory(OPAQUE_BYTES);
        Memory attributes = new Memory(OPAQUE_BYTES);
        Memory noSignals = new Memory(OPAQUE_BYTES);
        Memory allSignals = new Memory(OPAQUE_BYTES)) {
      libc.posix_spawn_file_actions_init(actions);
      libc.posix_spawnattr_init(attributes);
      try {
        libc.posix_spawn_file_actions_addchdir_np(actions, directory.toString());
        libc.posix_spawn_file_actions_adddup2(actions, input[0], 0);
        libc.posix_spawn_file_actions_adddup2(actions, output[1], 1);
        libc.posix_spawn_file_actions_adddup2(actions, output[1], 2);
        libc.posix_spawn_file_actions_addclosefrom_np(actions, 3);
        libc.sigemptyset(noSignals);
        libc.sigfillset(allSignals);
        libc.posix_spawnattr_setsigmask(attributes, noSignals);
        libc.posix_spawnattr_setsigdefault(attributes, allSignals);
        libc.posix_spawnattr_setflags(
            attributes,
            (short) (POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
        error = libc.posix_spawnp(pid, argv[0], actions, attributes, argv, envp);
      } finally {
        libc.posix_spawnattr_destroy(attributes);
        libc.posix_spawn_file_actions_destroy(actions);
      }
    }
    libc.close(input[0]);
    libc.close(output[1]);
    if (error != 0) {
      libc.close(input[1]);
      libc.close(output[0]);
      throw new IOException(
          "Cannot run program \""
              + argv[0]
              + "\" (in directory \""
              + directory
              + "\"): error="
              + error
              + ", "
              + libc.strerror(error));
    }
    return new SpawnedProcess(this, pid[0], output[0], input[1]);
  }

  private int[] pipe() throws IOException {
    int[] fds = new int[2];
    try {
      libc.pipe2(fds, O_CLOEXEC);
    } catch (LastErrorException e) {
      throw new IOException("Cannot make a pipe for a step: " + libc.strerror(e.getErrorCode()));
    }
    return fds;
  }

  private void closeBoth(int[] fds) {
    libc.close(fds[0]);
    libc.close(fds[1]);
  }

  SpawnLibrary libc() {
    return libc;
  }
}
