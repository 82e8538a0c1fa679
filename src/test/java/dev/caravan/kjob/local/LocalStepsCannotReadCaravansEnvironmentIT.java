package dev.caravan.kjob.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local step running as the same unprivileged user as Caravan cannot read Caravan's environment
 * (its secrets) through {@code /proc/<pid>/environ}, because the local executor made Caravan's
 * process non-dumpable. CI runs as root, and root reads every process's environment, so Caravan (a
 * plain camel-main style JVM with one real kjob local step, {@link IsolatedStepMain}) runs as the
 * user nobody via util-linux {@code setpriv}; as anyone else, it runs as that user. A control case
 * runs the same step with Caravan's process made dumpable again: it reads the secrets, so the test
 * can fail.
 */
class LocalStepsCannotReadCaravansEnvironmentIT {

  private static final String SECRET = "ghp_FakeSecretNeverToBeSeen42";
  private static final String TOKEN = "apiTokenNeverToBeSeen77";
  private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
  private static final long NOBODY = 65534;

  @TempDir Path tmp;

  /** What the step printed (its report) and Caravan's log. */
  private record Outcome(String output, String log, boolean root) {}

  @Test
  void aStepOfTheSameUserSeesNoneOfCaravansEnvironment() throws Exception {
    Outcome outcome = runCaravanWithOnePeekingStep(List.of());

    assertThat(outcome.output())
        .as("the step ran as the expected user and could read what is its own")
        .startsWith("uid=" + (outcome.root() ? NOBODY : uid()) + "\n--- own\n")
        .contains("CARAVAN_JOB_NAME=peek-")
        .contains("--- end");
    assertThat(section(outcome.output(), "--- parent"))
        .as("Caravan's own environment, as its child reads it")
        .contains("Permission denied");
    assertThat(outcome.output()).doesNotContain(SECRET).doesNotContain(TOKEN);
    assertThat(outcome.log()).contains("Caravan's process is not dumpable");
  }

  /**
   * The control case: the same step, with Caravan's process made dumpable again after the guard,
   * reads Caravan's secrets. Without it, the test above could pass because the step cannot read
   * {@code /proc} at all.
   */
  @Test
  void withoutThePrctlTheSameStepReadsCaravansSecrets() throws Exception {
    Outcome outcome = runCaravanWithOnePeekingStep(List.of(IsolatedStepMain.DUMPABLE));

    assertThat(outcome.log()).contains("made dumpable again (control case)");
    assertThat(outcome.output())
        .startsWith("uid=" + (outcome.root() ? NOBODY : uid()) + "\n--- own\n")
        .contains("--- end");
    assertThat(section(outcome.output(), "--- parent"))
        .as("Caravan's own environment, as its child reads it")
        .doesNotContain("Permission denied")
        .contains("CARAVAN_GITHUB_WEBHOOK_SECRET=" + SECRET)
        .contains("CARAVAN_API_TOKEN=" + TOKEN);
  }

  /**
   * Runs {@link IsolatedStepMain} with Caravan's secrets in its environment, as the user nobody
   * when the test runs as root, and returns what its one step printed.
   */
  private Outcome runCaravanWithOnePeekingStep(List<String> extraArgs) throws Exception {
    assumeTrue(
        System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"),
        "Linux only: the test reads /proc");
    boolean root = uid() == 0;
    if (root && !Files.isExecutable(SETPRIV)) {
      abort(
          "setpriv is missing: install util-linux to run Caravan as an unprivileged user (root"
              + " reads every process's environment)");
    }
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    assumeTrue(
        !root || worldReachable(java),
        "the JDK at " + java + " is not reachable for the user nobody");

    open(tmp, "rwxr-xr-x");
    Path shared = open(tmp.resolve("shared"), "rwxr-xr-x");
    String classPath = root ? readableCopyOfTheClassPath(shared.resolve("cp")) : classPath();
    Path work = open(shared.resolve("work"), "rwxrwxrwx");
    List<String> command = new ArrayList<>();
    if (root) {
      command.addAll(
          List.of(
              SETPRIV.toString(),
              "--reuid=" + NOBODY,
              "--regid=" + NOBODY,
              "--clear-groups",
              "--inh-caps=-all"));
    }
    command.addAll(
        List.of(
            java.toString(),
            "-Djava.io.tmpdir=" + work,
            "-cp",
            classPath,
            IsolatedStepMain.class.getName(),
            work.toString()));
    command.addAll(extraArgs);
    ProcessBuilder caravan =
        new ProcessBuilder(command)
            .directory(shared.toFile())
            .redirectError(tmp.resolve("caravan.log").toFile());
    caravan.environment().clear();
    caravan.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
    caravan.environment().put("HOME", work.toString());
    caravan.environment().put("CARAVAN_GITHUB_WEBHOOK_SECRET", SECRET);
    caravan.environment().put("CARAVAN_API_TOKEN", TOKEN);

    Process process = caravan.start();
    process.getOutputStream().close();
    byte[] report = process.getInputStream().readAllBytes();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("Caravan ended").isTrue();
    String log = Files.readString(tmp.resolve("caravan.log"));
    assertThat(process.exitValue()).as("Caravan's exit code; its log:\n%s", log).isZero();
    return new Outcome(new String(report, StandardCharsets.UTF_8), log, root);
  }

  private static String section(String output, String heading) {
    int start = output.indexOf(heading + "\n");
    assertThat(start).as("section %s", heading).isNotNegative();
    int end = output.indexOf("\n---", start + heading.length());
    return output.substring(start, end < 0 ? output.length() : end);
  }

  private static long uid() throws IOException {
    return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
  }

  private static String classPath() {
    return System.getProperty("java.class.path");
  }

  /**
   * The test class path, linked (or copied) into a directory anyone may read: Maven's repository
   * under /root is not reachable for nobody.
   */
  private static String readableCopyOfTheClassPath(Path target) throws IOException {
    open(target, "rwxr-xr-x");
    List<String> entries = new ArrayList<>();
    int index = 0;
    for (String entry : classPath().split(File.pathSeparator)) {
      Path source = Path.of(entry);
      if (!Files.exists(source)) {
        continue;
      }
      Path copy = target.resolve(index++ + "-" + source.getFileName());
      if (Files.isDirectory(source)) {
        try (Stream<Path> files = Files.walk(source)) {
          for (Path file : files.toList()) {
            Path to = copy.resolve(source.relativize(file).toString());
            if (Files.isDirectory(file)) {
              open(to, "rwxr-xr-x");
            } else {
              linkOrCopy(file, to);
            }
          }
        }
      } else {
        linkOrCopy(source, copy);
      }
      entries.add(copy.toString());
    }
    return String.join(File.pathSeparator, entries);
  }

  /** A hard link where the file is readable for everyone already (no copy), else a copy. */
  private static void linkOrCopy(Path source, Path target) throws IOException {
    if (Files.getPosixFilePermissions(source).contains(PosixFilePermission.OTHERS_READ)) {
      try {
        Files.createLink(target, source);
        return;
      } catch (IOException | UnsupportedOperationException e) {
        // another file system: copy
      }
    }
    Files.copy(source, target);
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
  }

  private static Path open(Path dir, String permissions) throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(permissions));
    return dir;
  }

  private static boolean worldReachable(Path file) throws IOException {
    for (Path dir = file.toRealPath().getParent(); dir != null; dir = dir.getParent()) {
      if (!Files.getPosixFilePermissions(dir).contains(PosixFilePermission.OTHERS_EXECUTE)) {
        return false;
      }
    }
    return true;
  }
}
