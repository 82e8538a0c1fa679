package dev.caravan.kjob;

import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The options of one step execution, after header overrides and env expressions were applied.
 *
 * @param executor never {@link ExecutorType#AUTO}: already resolved
 * @param checkout whether the repository is cloned into the working directory first
 * @param repository URL to clone (option, header, or with checkout the event label cloneUrl)
 * @param revision commit, branch, tag or ref to check out, or {@code null} for the remote's HEAD
 * @param workspace whether the step gets the run's shared directory
 * @param podSecurity how a Kubernetes step's pod is locked down
 */
public record StepSpec(
    String stepName,
    ExecutorType executor,
    String image,
    String script,
    List<String> command,
    List<String> args,
    Map<String, String> env,
    List<String> envFromSecrets,
    String workingDir,
    boolean checkout,
    String repository,
    String revision,
    boolean workspace,
    String namespace,
    String serviceAccount,
    String cpuRequest,
    String cpuLimit,
    String memoryRequest,
    String memoryLimit,
    Duration timeout,
    int ttlSecondsAfterFinished,
    Map<String, String> nodeSelector,
    String imagePullPolicy,
    int logTailLines,
    int maxOutputBytes,
    PodSecurity podSecurity) {

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern DURATION =
      Pattern.compile("(?=\\d)(?:(\\d+)h)?(?:(\\d+)m(?!s))?(?:(\\d+)s)?(?:(\\d+)ms)?");
  private static final Set<String> PULL_POLICIES = Set.of("Always", "IfNotPresent", "Never");

  public StepSpec {
    command = List.copyOf(command);
    args = List.copyOf(args);
    env = Map.copyOf(env);
    envFromSecrets = List.copyOf(envFromSecrets);
    nodeSelector = Map.copyOf(nodeSelector);
  }

  /** Where a Kubernetes step's sources go when checkout is on and workingDir is unset. */
  public static final String DEFAULT_CHECKOUT_DIR = "/workspace/source";

  public boolean hasScript() {
    return script != null && !script.isBlank();
  }

  /**
   * Checks that the options make a runnable step.
   *
   * @throws IllegalArgumentException naming the offending option
   */
  public StepSpec validate() {
    if (stepName == null || stepName.isBlank()) {
      throw new IllegalArgumentException("kjob needs a step name: kjob:<stepName>");
    }
    String prefix = "kjob:" + stepName + ": ";
    if (!hasScript() && command.isEmpty()) {
      throw new IllegalArgumentException(prefix + "set the option script or the option command");
    }
    if (hasScript() && !command.isEmpty()) {
      throw new IllegalArgumentException(
          prefix + "set either the option script or command, not both");
    }
    if (!args.isEmpty() && command.isEmpty()) {
      throw new IllegalArgumentException(prefix + "the option args needs the option command");
    }
    if (executor == ExecutorType.KUBERNETES && (image == null || image.isBlank())) {
      throw new IllegalArgumentException(prefix + "the option image is required on Kubernetes");
    }
    for (String name : env.keySet()) {
      if (!ENV_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            prefix + "invalid environment variable name env." + name);
      }
      if (name.startsWith("CARAVAN_")) {
        throw new IllegalArgumentException(
            prefix + "env." + name + " is reserved: CARAVAN_* variables are set by Caravan");
      }
    }
    requireGitArgument(prefix, "repository", repository);
    requireGitArgument(prefix, "revision", revision);
    if (checkout
        && executor == ExecutorType.KUBERNETES
        && workingDir != null
        && !workingDir.startsWith("/")) {
      throw new IllegalArgumentException(
          prefix
              + "the option workingDir="
              + LogSafe.escape(workingDir)
              + " must be an absolute path with checkout on Kubernetes (the sources are mounted"
              + " there)");
    }
    for (String secret : envFromSecrets) {
      requireDnsName(prefix, "envFromSecret", secret);
    }
    if (namespace != null) {
      requireDnsName(prefix, "namespace", namespace);
    }
    if (serviceAccount != null) {
      requireDnsName(prefix, "serviceAccount", serviceAccount);
    }
    requireQuantity(prefix, "cpuRequest", cpuRequest);
    requireQuantity(prefix, "cpuLimit", cpuLimit);
    requireQuantity(prefix, "memoryRequest", memoryRequest);
    requireQuantity(prefix, "memoryLimit", memoryLimit);
    if (timeout.isNegative()) {
      throw new IllegalArgumentException(prefix + "the option timeout must not be negative");
    }
    if (ttlSecondsAfterFinished < 0) {
      throw new IllegalArgumentException(
          prefix + "the option ttlSecondsAfterFinished must not be negative");
    }
    if (imagePullPolicy != null && !PULL_POLICIES.contains(imagePullPolicy)) {
      throw new IllegalArgumentException(
          prefix
              + "invalid option imagePullPolicy="
              + LogSafe.escape(imagePullPolicy)
              + ": expected Always, IfNotPresent or Never");
    }
    if (logTailLines < 0) {
      throw new IllegalArgumentException(prefix + "the option logTailLines must not be negative");
    }
    if (maxOutputBytes <= 0) {
      throw new IllegalArgumentException(prefix + "the option maxOutputBytes must be positive");
    }
    podSecurity.validate(prefix);
    return this;
  }

  /** Parses a {@code timeout} value, naming the option on error. */
  public static Duration parseTimeout(String value, String option) {
    if (value == null || value.isBlank()) {
      return Duration.ZERO;
    }
    String text = value.trim();
    if (text.chars().allMatch(Character::isDigit)) {
      return Duration.ofMillis(Long.parseLong(text));
    }
    Matcher parts = DURATION.matcher(text);
    if (!parts.matches()) {
      throw new IllegalArgumentException(
          "Invalid kjob option "
              + option
              + "="
              + LogSafe.escape(value)
              + ": expected a duration such as 30s or 5m");
    }
    return Duration.ofHours(number(parts.group(1)))
        .plusMinutes(number(parts.group(2)))
        .plusSeconds(number(parts.group(3)))
        .plusMillis(number(parts.group(4)));
  }

  private static long number(String digits) {
    return digits == null ? 0 : Long.parseLong(digits);
  }

  private static void requireDnsName(String prefix, String option, String value) {
    if (!DNS_LABEL.matcher(value).matches()) {
      throw new IllegalArgumentException(
          prefix
              + "invalid option "
              + option
              + "="
              + LogSafe.escape(value)
              + ": expected a DNS-1123 label");
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
      throw new IllegalArgumentException(
          prefix
              + "invalid "
              + option
              + " '"
              + LogSafe.escape(value)
              + "': must not start with '-' or contain control characters");
    }
  }

  private static void requireQuantity(String prefix, String option, String value) {
    if (value == null) {
      return;
    }
    try {
      Quantity.getAmountInBytes(new Quantity(value));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          prefix
              + "invalid option "
              + option
              + "="
              + LogSafe.escape(value)
              + ": expected a Kubernetes quantity such as 500m or 256Mi");
    }
  }
}
