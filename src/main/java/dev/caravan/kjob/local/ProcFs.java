package dev.caravan.kjob.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads what the orphan reaper needs about processes from Linux's {@code /proc}. */
final class ProcFs {

  private static final Path PROC = Path.of("/proc");

  private ProcFs() {}

  /**
   * One line of {@code /proc/<pid>/stat}.
   *
   * @param state R, S, D, Z (zombie: exited, waiting to be reaped), ...
   * @param startTicks when the process started, in clock ticks since boot
   */
  record Stat(long pid, char state, long ppid, long pgrp, long session, long startTicks) {
    boolean isZombie() {
      return state == 'Z' || state == 'X';
    }
  }

  /**
   * What a process's initial environment says about its step.
   *
   * @param readable false when the environment could not be read (a zombie, another user's process)
   * @param jobName the value of {@code CARAVAN_JOB_NAME}, or {@code null} when there is none
   */
  record Marker(boolean readable, String jobName) {
    static final Marker UNREADABLE = new Marker(false, null);
  }

  static boolean isAvailable() {
    return Files.isReadable(PROC.resolve("self/stat"));
  }

  static Optional<Stat> stat(long pid) {
    return read(PROC.resolve(Long.toString(pid)).resolve("stat"), pid);
  }

  static Optional<Stat> self() {
    return stat(ProcessHandle.current().pid());
  }

  /** Every process there is now (those that end while being read are left out). */
  static List<Stat> all() {
    List<Stat> processes = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
          read(entry.resolve("stat"), Long.parseLong(name)).ifPresent(processes::add);
        }
      }
    } catch (IOException e) {
      return processes;
    }
    return processes;
  }

  /** The {@code name=} variable of the process's initial environment. */
  static Marker environment(long pid, String name) {
    byte[] environ;
    try {
      environ = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("environ"));
    } catch (IOException | SecurityException e) {
      return Marker.UNREADABLE;
    }
    String prefix = name + "=";
    for (String variable : new String(environ, StandardCharsets.UTF_8).split("\0")) {
      if (variable.startsWith(prefix)) {
        return new Marker(true, variable.substring(prefix.length()));
      }
    }
    return new Marker(true, null);
  }

  private static Optional<Stat> read(Path file, long pid) {
    String line;
    try {
      line = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException | SecurityException e) {
      return Optional.empty();
    }
    // the command name in parentheses may itself hold spaces and parentheses
    int end = line.lastIndexOf(')');
    if (end < 0) {
      return Optional.empty();
    }
    String[] fields = line.substring(end + 1).trim().split(" ");
    if (fields.length < 20) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new Stat(
              pid,
              fields[0].charAt(0),
              Long.parseLong(fields[1]),
              Long.parseLong(fields[2]),
              Long.parseLong(fields[3]),
              Long.parseLong(fields[19])));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
