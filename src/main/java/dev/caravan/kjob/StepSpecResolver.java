package dev.caravan.kjob;

import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/** Turns an endpoint's options, overridden by {@code Caravan*} headers, into a {@link StepSpec}. */
final class StepSpecResolver {

  /** Event labels the GitHub gateways set, read when checkout is on. */
  static final String CLONE_URL_LABEL = "cloneUrl";

  static final String COMMIT_LABEL = "commit";
  static final String REF_LABEL = "ref";

  private final KjobEndpoint endpoint;
  private final KjobConfiguration options;

  StepSpecResolver(KjobEndpoint endpoint) {
    this.endpoint = endpoint;
    this.options = endpoint.getConfiguration();
  }

  /** The spec as the endpoint's options alone give it (env expressions unevaluated). */
  StepSpec staticSpec() {
    return build(null, new LinkedHashMap<>(options.getEnv()));
  }

  /** The spec for one exchange: headers override options, env expressions are evaluated. */
  StepSpec resolve(Exchange exchange) {
    Map<String, String> env = new LinkedHashMap<>();
    endpoint
        .envExpressions()
        .forEach(
            (name, expression) -> {
              String value = expression.evaluate(exchange, String.class);
              env.put(name, value == null ? "" : value);
            });
    Map<?, ?> extra = exchange.getMessage().getHeader(KjobConstants.ENV, Map.class);
    if (extra != null) {
      extra.forEach((name, value) -> env.put(String.valueOf(name), String.valueOf(value)));
    }
    StepSpec spec = build(exchange.getMessage(), env).validate();
    if (spec.checkout() && spec.repository() == null) {
      throw new IllegalArgumentException(
          "kjob:"
              + spec.stepName()
              + ": checkout=true needs a repository URL: the event label "
              + CLONE_URL_LABEL
              + " (header "
              + KjobConstants.EVENT_LABELS
              + "), the option repository or the header "
              + KjobConstants.REPOSITORY
              + " (none was set)");
    }
    return spec;
  }

  private StepSpec build(Message headers, Map<String, String> env) {
    KjobComponent component = endpoint.getComponent();
    String executor =
        text(headers, KjobConstants.EXECUTOR, options.getExecutor(), component.getExecutor());
    String executorOption =
        headers != null && headers.getHeader(KjobConstants.EXECUTOR) != null
            ? KjobConstants.EXECUTOR
            : "executor";
    String timeoutOption =
        headers != null && headers.getHeader(KjobConstants.TIMEOUT) != null
            ? KjobConstants.TIMEOUT
            : "timeout";
    Map<String, String> nodeSelector = new LinkedHashMap<>(options.getNodeSelector());
    Map<?, ?> selectorHeader =
        headers == null ? null : headers.getHeader(KjobConstants.NODE_SELECTOR, Map.class);
    if (selectorHeader != null) {
      nodeSelector.clear();
      selectorHeader.forEach((k, v) -> nodeSelector.put(String.valueOf(k), String.valueOf(v)));
    }
    boolean checkout = bool(headers, KjobConstants.CHECKOUT, options.isCheckout());
    Map<?, ?> labels =
        headers == null || !checkout
            ? Map.of()
            : headers.getHeader(KjobConstants.EVENT_LABELS, Map.class);
    String eventRevision = label(labels, COMMIT_LABEL);
    if (eventRevision == null) {
      eventRevision = label(labels, REF_LABEL);
    }
    Duration timeout =
        StepSpec.parseTimeout(
            text(headers, KjobConstants.TIMEOUT, options.getTimeout(), null), timeoutOption);
    return new StepSpec(
        options.getStepName(),
        component.resolve(ExecutorType.parse(executor, executorOption)),
        text(headers, KjobConstants.IMAGE, options.getImage(), null),
        text(headers, KjobConstants.SCRIPT, options.getScript(), null),
        list(headers, KjobConstants.COMMAND, options.getCommand()),
        list(headers, KjobConstants.ARGS, options.getArgs()),
        env,
        list(headers, KjobConstants.ENV_FROM_SECRET, options.getEnvFromSecret()),
        text(headers, KjobConstants.WORKING_DIR, options.getWorkingDir(), null),
        checkout,
        text(
            headers,
            KjobConstants.REPOSITORY,
            options.getRepository(),
            label(labels, CLONE_URL_LABEL)),
        text(headers, KjobConstants.REVISION, options.getRevision(), eventRevision),
        bool(headers, KjobConstants.WORKSPACE, options.isWorkspace()),
        text(headers, KjobConstants.NAMESPACE, options.getNamespace(), null),
        text(headers, KjobConstants.SERVICE_ACCOUNT, options.getServiceAccount(), null),
        text(headers, KjobConstants.CPU_REQUEST, options.getCpuRequest(), null),
        text(headers, KjobConstants.CPU_LIMIT, options.getCpuLimit(), null),
        text(headers, KjobConstants.MEMORY_REQUEST, options.getMemoryRequest(), null),
        text(headers, KjobConstants.MEMORY_LIMIT, options.getMemoryLimit(), null),
        timeout,
        integer(
            headers,
            KjobConstants.TTL_SECONDS_AFTER_FINISHED,
            options.getTtlSecondsAfterFinished()),
        nodeSelector,
        text(headers, KjobConstants.IMAGE_PULL_POLICY, options.getImagePullPolicy(), null),
        options.getLogTailLines(),
        options.getMaxOutputBytes(),
        podSecurity(headers));
  }

  /** The pod's lock-down from the options; a header's bad value fails naming the header. */
  private PodSecurity podSecurity(Message headers) {
    Object automount =
        headers == null ? null : headers.getHeader(KjobConstants.AUTOMOUNT_SERVICE_ACCOUNT_TOKEN);
    Object seccomp = headers == null ? null : headers.getHeader(KjobConstants.SECCOMP_PROFILE);
    if (seccomp != null && !PodSecurity.isSeccompProfile(seccomp.toString())) {
      throw new IllegalArgumentException(
          "Invalid header "
              + KjobConstants.SECCOMP_PROFILE
              + "="
              + seccomp.toString().replaceAll("\\p{Cntrl}", "?")
              + ": expected RuntimeDefault or Unconfined");
    }
    if (headers != null && headers.getHeader(KjobConstants.CAPABILITIES_ADD) != null) {
      for (String capability : list(headers, KjobConstants.CAPABILITIES_ADD, null)) {
        if (!PodSecurity.isCapability(capability)) {
          throw new IllegalArgumentException(
              "Invalid header "
                  + KjobConstants.CAPABILITIES_ADD
                  + ": '"
                  + capability.replaceAll("\\p{Cntrl}", "?")
                  + "' is not a capability name such as NET_ADMIN (upper case, without CAP_)");
        }
      }
    }
    return new PodSecurity(
        automount == null
            ? options.getAutomountServiceAccountToken()
            : Boolean.valueOf(bool(headers, KjobConstants.AUTOMOUNT_SERVICE_ACCOUNT_TOKEN, false)),
        bool(headers, KjobConstants.ENABLE_SERVICE_LINKS, options.isEnableServiceLinks()),
        text(
            headers,
            KjobConstants.SECCOMP_PROFILE,
            options.getSeccompProfile(),
            PodSecurity.RUNTIME_DEFAULT),
        bool(
            headers,
            KjobConstants.ALLOW_PRIVILEGE_ESCALATION,
            options.isAllowPrivilegeEscalation()),
        list(headers, KjobConstants.CAPABILITIES_ADD, options.getCapabilitiesAdd()),
        bool(headers, KjobConstants.CLUSTER_NETWORK, options.isClusterNetwork()));
  }

  private static String text(Message headers, String header, String option, String fallback) {
    String value = headers == null ? null : headers.getHeader(header, String.class);
    if (value == null || value.isBlank()) {
      value = option;
    }
    if (value == null || value.isBlank()) {
      value = fallback;
    }
    return value == null || value.isBlank() ? null : value;
  }

  private static String label(Map<?, ?> labels, String name) {
    Object value = labels == null ? null : labels.get(name);
    return value == null || value.toString().isBlank() ? null : value.toString();
  }

  /** A Boolean header, or the text true or false (any case); anything else names the header. */
  private static boolean bool(Message headers, String header, boolean option) {
    Object value = headers == null ? null : headers.getHeader(header);
    if (value == null) {
      return option;
    }
    if (value instanceof Boolean flag) {
      return flag;
    }
    String text = value.toString().trim();
    if (text.equalsIgnoreCase("true")) {
      return true;
    }
    if (text.equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException(
        "Invalid header "
            + header
            + "="
            + LogSafe.escape(value.toString())
            + ": expected true or false");
  }

  private static int integer(Message headers, String header, int option) {
    Object value = headers == null ? null : headers.getHeader(header);
    if (value == null) {
      return option;
    }
    try {
      return Integer.parseInt(value.toString().trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "Invalid header "
              + header
              + "="
              + LogSafe.escape(value.toString())
              + ": expected a whole number");
    }
  }

  /** A comma-separated option, or a header holding a List or a comma-separated string. */
  private static List<String> list(Message headers, String header, String option) {
    Object value = headers == null ? null : headers.getHeader(header);
    if (value instanceof Collection<?> items) {
      return items.stream().map(String::valueOf).toList();
    }
    String text = value == null ? option : value.toString();
    if (text == null || text.isBlank()) {
      return List.of();
    }
    return Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }
}
