package dev.caravan.kjob;

import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks that a {@link StepSpec} makes a runnable step, in one place for the route's start (the
 * endpoint's options) and for each exchange (with its header overrides). Every problem names the
 * option; one of a single option is an {@link InvalidOptionException}, so that a value from a
 * header is reported under the header's name.
 */
final class StepSpecCheck {

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Set<String> PULL_POLICIES = Set.of("Always", "IfNotPresent", "Never");

  private StepSpecCheck() {}

  /**
   * @throws IllegalArgumentException naming the offending option
   */
  static StepSpec validate(StepSpec spec) {
    KjobConfiguration options = spec.options();
    String stepName = options.getStepName();
    if (stepName == null || stepName.isBlank()) {
      throw new IllegalArgumentException("kjob needs a step name: kjob:<stepName>");
    }
    String prefix = "kjob:" + stepName + ": ";
    if (!spec.hasScript() && spec.command().isEmpty()) {
      throw new IllegalArgumentException(prefix + "set the option script or the option command");
    }
    if (spec.hasScript() && !spec.command().isEmpty()) {
      throw new IllegalArgumentException(
          prefix + "set either the option script or command, not both");
    }
    if (!spec.args().isEmpty() && spec.command().isEmpty()) {
      throw new IllegalArgumentException(prefix + "the option args needs the option command");
    }
    if (spec.executor() == ExecutorType.KUBERNETES && options.getImage() == null) {
      throw new IllegalArgumentException(prefix + "the option image is required on Kubernetes");
    }
    for (String name : spec.env().keySet()) {
      String problem = envNameProblem(name);
      if (problem != null) {
        throw new IllegalArgumentException(prefix + problem);
      }
    }
    requireGitArgument(prefix, "repository", spec.repository());
    requireGitArgument(prefix, "revision", spec.revision());
    String workingDir = options.getWorkingDir();
    if (options.isCheckout()
        && spec.executor() == ExecutorType.KUBERNETES
        && workingDir != null
        && !workingDir.startsWith("/")) {
      throw invalid(
          prefix,
          "workingDir",
          LogSafe.escape(workingDir),
          "must be an absolute path with checkout on Kubernetes (the sources are mounted there)",
          "the option workingDir=%s %s");
    }
    for (String secret : spec.envFromSecrets()) {
      requireDnsName(prefix, "envFromSecret", secret);
    }
    if (options.getNamespace() != null) {
      requireDnsName(prefix, "namespace", options.getNamespace());
    }
    if (options.getServiceAccount() != null) {
      requireDnsName(prefix, "serviceAccount", options.getServiceAccount());
    }
    requireQuantity(prefix, "cpuRequest", options.getCpuRequest());
    requireQuantity(prefix, "cpuLimit", options.getCpuLimit());
    requireQuantity(prefix, "memoryRequest", options.getMemoryRequest());
    requireQuantity(prefix, "memoryLimit", options.getMemoryLimit());
    requireNotNegative(prefix, "ttlSecondsAfterFinished", options.getTtlSecondsAfterFinished());
    String pullPolicy = options.getImagePullPolicy();
    if (pullPolicy != null && !PULL_POLICIES.contains(pullPolicy)) {
      throw invalid(
          prefix,
          "imagePullPolicy",
          LogSafe.escape(pullPolicy),
          "expected Always, IfNotPresent or Never",
          "invalid option imagePullPolicy=%s: %s");
    }
    requireNotNegative(prefix, "logTailLines", options.getLogTailLines());
    if (options.getMaxOutputBytes() <= 0) {
      throw invalid(
          prefix,
          "maxOutputBytes",
          Integer.toString(options.getMaxOutputBytes()),
          "must be positive",
          "the option maxOutputBytes %2$s");
    }
    spec.podSecurity().validate(prefix);
    return spec;
  }

  /**
   * Why the name cannot be an environment variable of a step, or {@code null} when it can.
   * CARAVAN_* names are Caravan's.
   */
  static String envNameProblem(String name) {
    if (!ENV_NAME.matcher(name).matches()) {
      return "invalid environment variable name env." + LogSafe.escape(name);
    }
    if (name.startsWith("CARAVAN_")) {
      return "env." + name + " is reserved: CARAVAN_* variables are set by Caravan";
    }
    return null;
  }

  /**
   * @param format of the message for the option: {@code %1$s} the value, {@code %2$s} the problem
   */
  private static InvalidOptionException invalid(
      String prefix, String option, String value, String problem, String format) {
    return new InvalidOptionException(
        prefix + String.format(format, value, problem), option, value, problem);
  }

  private static void requireDnsName(String prefix, String option, String value) {
    if (!DNS_LABEL.matcher(value).matches()) {
      throw invalid(
          prefix,
          option,
          LogSafe.escape(value),
          "expected a DNS-1123 label",
          "invalid option " + option + "=%s: %s");
    }
  }

  private static void requireNotNegative(String prefix, String option, int value) {
    if (value < 0) {
      throw invalid(
          prefix,
          option,
          Integer.toString(value),
          "must not be negative",
          "the option " + option + " %2$s");
    }
  }

  /**
   * A repository or revision reaches git as one argument after {@code --}; still, one that looks
   * like an option or holds control characters is refused, so it cannot be mistaken for anything.
   */
  private static void requireGitArgument(String prefix, String option, String value) {
    if (value == null) {
      return;
    }
    if (value.startsWith("-") || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw invalid(
          prefix,
          option,
          LogSafe.escape(value),
          "must not start with '-' or contain control characters",
          "invalid " + option + " '%s': %s");
    }
  }

  private static void requireQuantity(String prefix, String option, String value) {
    if (value == null) {
      return;
    }
    try {
      Quantity.getAmountInBytes(new Quantity(value));
    } catch (RuntimeException e) {
      throw invalid(
          prefix,
          option,
          LogSafe.escape(value),
          "expected a Kubernetes quantity such as 500m or 256Mi",
          "invalid option " + option + "=%s: %s");
    }
  }
}
