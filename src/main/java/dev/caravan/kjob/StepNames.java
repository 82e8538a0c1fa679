package dev.caravan.kjob;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/** Folds names into the DNS-1123 forms Kubernetes accepts. */
public final class StepNames {

  /** Longest Job name that still leaves room for the pod name suffix Kubernetes adds. */
  static final int MAX_JOB_NAME = 52;

  private static final int MAX_STEP_PART = 30;
  private static final int MAX_LABEL_VALUE = 63;

  private StepNames() {}

  /** Lower-case letters, digits and single dashes, no dash at either end; never empty. */
  public static String fold(String name, int maxLength) {
    String folded =
        name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
    if (folded.length() > maxLength) {
      folded = folded.substring(0, maxLength).replaceAll("-+$", "");
    }
    return folded.isEmpty() ? "step" : folded;
  }

  /** A value valid as a Kubernetes label value. */
  public static String labelValue(String value) {
    return fold(value, MAX_LABEL_VALUE);
  }

  /**
   * The Job name of one attempt of one step: readable step part, a hash of run, step and fan-out
   * index (so different runs and similar step names never collide), and the attempt number.
   */
  public static String jobName(String runId, String stepName, String fanOutIndex, int attempt) {
    String hash = sha256(runId + '\n' + stepName + '\n' + fanOutIndex).substring(0, 12);
    String name = fold(stepName, MAX_STEP_PART) + "-" + hash + "-" + attempt;
    if (name.length() > MAX_JOB_NAME) {
      throw new IllegalArgumentException("attempt number too large: " + attempt);
    }
    return name;
  }

  /**
   * A short hash of a run id (16 hex digits): names of per-run things, such as workspaces, that
   * must not collide for run ids that fold alike.
   */
  public static String runHash(String runId) {
    return sha256(runId).substring(0, 16);
  }

  private static String sha256(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
