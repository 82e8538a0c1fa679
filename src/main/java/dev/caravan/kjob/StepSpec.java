package dev.caravan.kjob;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The options of one step execution: the endpoint's {@link KjobConfiguration} with the exchange's
 * header overrides applied ({@link #options()}, read by the executors), plus what needs parsing or
 * combining once: the resolved executor, the timeout, the list options, the evaluated environment,
 * the repository and revision of a checkout, and the pod's lock-down. A new option is declared in
 * KjobConfiguration only; an executor reads it from {@link #options()}.
 */
public final class StepSpec {

  /** Where a Kubernetes step's sources go when checkout is on and workingDir is unset. */
  public static final String DEFAULT_CHECKOUT_DIR = "/workspace/source";

  private static final Pattern DURATION =
      Pattern.compile("(?=\\d)(?:(\\d+)h)?(?:(\\d+)m(?!s))?(?:(\\d+)s)?(?:(\\d+)ms)?");

  private final KjobConfiguration options;
  private final ExecutorType executor;
  private final Duration timeout;
  private final List<String> command;
  private final List<String> args;
  private final List<String> envFromSecrets;
  private final Map<String, String> env;
  private final String repository;
  private final String revision;
  private final PodSecurity podSecurity;

  /**
   * @param options the resolved options (a copy this spec owns; blank texts already {@code null})
   * @param executor never {@link ExecutorType#AUTO}: already resolved
   * @param env the environment variables, expressions evaluated
   * @param lists values of the list options given as lists (by headers), by option name
   * @param event the run's event, or {@code null}: its labels name what checkout=true clones
   */
  StepSpec(
      KjobConfiguration options,
      ExecutorType executor,
      Map<String, String> env,
      Map<String, List<String>> lists,
      StepEvent event) {
    this.options = options;
    this.executor = executor;
    this.env = Map.copyOf(env);
    this.timeout = parseTimeout(options.getTimeout(), "timeout");
    this.command = list(lists, "command", options.getCommand());
    this.args = list(lists, "args", options.getArgs());
    this.envFromSecrets = list(lists, "envFromSecret", options.getEnvFromSecret());
    StepEvent labels = options.isCheckout() ? event : null;
    this.repository =
        firstOf(options.getRepository(), label(labels, StepEvent.CLONE_URL_LABEL), null);
    this.revision =
        firstOf(
            options.getRevision(),
            label(labels, StepEvent.COMMIT_LABEL),
            label(labels, StepEvent.REF_LABEL));
    this.podSecurity =
        new PodSecurity(
            options.getAutomountServiceAccountToken(),
            options.isEnableServiceLinks(),
            options.getSeccompProfile() == null
                ? PodSecurity.RUNTIME_DEFAULT
                : options.getSeccompProfile(),
            options.isAllowPrivilegeEscalation(),
            list(lists, "capabilitiesAdd", options.getCapabilitiesAdd()),
            options.isClusterNetwork());
  }

  /** The resolved options; shared, so read them only. */
  public KjobConfiguration options() {
    return options;
  }

  public String stepName() {
    return options.getStepName();
  }

  /** Where the step runs; never {@link ExecutorType#AUTO}. */
  public ExecutorType executor() {
    return executor;
  }

  /** Longest the step may run; zero for no limit. */
  public Duration timeout() {
    return timeout;
  }

  public boolean hasScript() {
    return options.getScript() != null && !options.getScript().isBlank();
  }

  /** Executable and leading arguments (instead of a script). */
  public List<String> command() {
    return command;
  }

  public List<String> args() {
    return args;
  }

  /** Secrets whose keys become environment variables. */
  public List<String> envFromSecrets() {
    return envFromSecrets;
  }

  /** The step's environment variables (without Caravan's own CARAVAN_* ones). */
  public Map<String, String> env() {
    return env;
  }

  /** URL to clone: the option (or header), or with checkout the event label cloneUrl. */
  public String repository() {
    return repository;
  }

  /** Commit, branch, tag or ref to check out, or {@code null} for the remote's HEAD. */
  public String revision() {
    return revision;
  }

  /** How a Kubernetes step's pod is locked down. */
  public PodSecurity podSecurity() {
    return podSecurity;
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
      String shown = LogSafe.escape(value);
      String problem = "expected a duration such as 30s or 5m";
      throw new InvalidOptionException(
          "Invalid kjob option " + option + "=" + shown + ": " + problem, option, shown, problem);
    }
    return Duration.ofHours(number(parts.group(1)))
        .plusMinutes(number(parts.group(2)))
        .plusSeconds(number(parts.group(3)))
        .plusMillis(number(parts.group(4)));
  }

  private static long number(String digits) {
    return digits == null ? 0 : Long.parseLong(digits);
  }

  /** A list given as such, else the option's comma-separated text. */
  private static List<String> list(Map<String, List<String>> lists, String option, String text) {
    List<String> given = lists.get(option);
    if (given != null) {
      return List.copyOf(given);
    }
    if (text == null || text.isBlank()) {
      return List.of();
    }
    return Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  private static String label(StepEvent event, String name) {
    return event == null ? null : event.label(name);
  }

  private static String firstOf(String first, String second, String third) {
    return first != null ? first : second != null ? second : third;
  }
}
