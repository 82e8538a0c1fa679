package dev.caravan.reliability;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * A separate JVM that a test starts on its own classpath (Caravan as a process of its own, to be
 * killed or to run with a heap of its own): its standard output is read line by line, its standard
 * error goes to a log file.
 *
 * @param lines what it printed on standard output so far, then {@link #EOF} once it closed it
 */
public record ChildJvm(Process process, List<String> lines, Path log) {

  /** The last line, once standard output has ended. */
  public static final String EOF = "\u0000eof";

  /**
   * Starts {@code mainClass} with the test's classpath.
   *
   * @param jvmOptions such as {@code -Xmx256m}
   * @param log receives the child's standard error
   * @param withoutTestClasses leaves the test classes out (the app's component scan would find the
   *     test configurations of the same packages)
   */
  public static ChildJvm start(
      Path log,
      List<String> jvmOptions,
      String mainClass,
      List<String> args,
      boolean withoutTestClasses)
      throws IOException {
    return start(log, jvmOptions, mainClass, args, withoutTestClasses, Map.of());
  }

  /**
   * Starts {@code mainClass} with the test's classpath and the test's environment plus {@code
   * environment}: real environment variables of the child, which a test cannot set in its own JVM.
   */
  public static ChildJvm start(
      Path log,
      List<String> jvmOptions,
      String mainClass,
      List<String> args,
      boolean withoutTestClasses,
      Map<String, String> environment)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    String classpath = System.getProperty("java.class.path");
    if (withoutTestClasses) {
      classpath =
          Arrays.stream(classpath.split(File.pathSeparator))
              .filter(entry -> !entry.endsWith("test-classes"))
              .collect(Collectors.joining(File.pathSeparator));
    }
    command.add(classpath);
    command.add(mainClass);
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
    builder.environment().putAll(environment);
    Process process = builder.start();
    List<String> lines = new CopyOnWriteArrayList<>();
    Thread reader =
        new Thread(() -> readLines(process, lines), "child-stdout-" + log.getFileName());
    reader.setDaemon(true);
    reader.start();
    return new ChildJvm(process, lines, log);
  }

  /** The last 60 lines of the child's log, for failure messages. */
  public String tail() {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - 60), all.size()));
    } catch (IOException e) {
      return "(no child log: " + e + ")";
    }
  }

  private static void readLines(Process child, List<String> lines) {
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        lines.add(line);
      }
    } catch (IOException e) {
      lines.add("read error " + e);
    } finally {
      lines.add(EOF);
    }
  }
}
