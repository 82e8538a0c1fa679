package dev.caravan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** git repositories that tests create for steps to check out. */
public final class TestGit {

  private TestGit() {}

  /** Runs git in the directory with a test identity; its output, trimmed. */
  public static String git(Path dir, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "git",
                "-c",
                "user.name=test",
                "-c",
                "user.email=test@example.com",
                "-c",
                "commit.gpgsign=false"));
    command.addAll(List.of(args));
    try {
      Process git =
          new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
      String output = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (git.waitFor() != 0) {
        throw new IllegalStateException("git " + List.of(args) + " failed: " + output);
      }
      return output.trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A new empty repository (branch main) in {@code repo}. */
  public static Path init(Path repo) {
    try {
      Files.createDirectories(repo);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    git(repo, "init", "-q", "--initial-branch=main");
    return repo;
  }

  /** Writes the file, commits it, and returns the new commit's sha. */
  public static String commit(Path repo, String file, String content) {
    try {
      Files.writeString(repo.resolve(file), content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    git(repo, "add", file);
    git(repo, "commit", "-q", "-m", file);
    return git(repo, "rev-parse", "HEAD");
  }
}
