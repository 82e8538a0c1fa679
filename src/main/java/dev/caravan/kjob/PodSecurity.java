package dev.caravan.kjob;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How a Kubernetes step's pod is locked down. The defaults harden it; each field relaxes one part
 * for a step that needs it. Ignored by the local executor.
 *
 * @param automountServiceAccountToken whether the pod gets a service account token; {@code null}:
 *     only when the step names a {@code serviceAccount}
 * @param enableServiceLinks whether the Services of the namespace become environment variables
 * @param seccompProfile the pod's seccomp profile type, {@code RuntimeDefault} or {@code
 *     Unconfined}
 * @param allowPrivilegeEscalation whether a process of a container may gain privileges (setuid)
 * @param capabilitiesAdd Linux capabilities given back to every container (all are dropped)
 * @param clusterNetwork whether the pod carries the label that Caravan's NetworkPolicy lets reach
 *     the cluster's own addresses
 */
public record PodSecurity(
    Boolean automountServiceAccountToken,
    boolean enableServiceLinks,
    String seccompProfile,
    boolean allowPrivilegeEscalation,
    List<String> capabilitiesAdd,
    boolean clusterNetwork) {

  public static final String RUNTIME_DEFAULT = "RuntimeDefault";
  public static final String UNCONFINED = "Unconfined";

  public static final PodSecurity DEFAULT =
      new PodSecurity(null, false, RUNTIME_DEFAULT, false, List.of(), false);

  private static final Set<String> SECCOMP_PROFILES = Set.of(RUNTIME_DEFAULT, UNCONFINED);
  private static final Pattern CAPABILITY = Pattern.compile("[A-Z][A-Z0-9_]*");

  public PodSecurity {
    capabilitiesAdd = List.copyOf(capabilitiesAdd);
  }

  /** Whether the pod gets a token: as set, else only for a step that names its service account. */
  public boolean mountsToken(String serviceAccount) {
    return automountServiceAccountToken != null
        ? automountServiceAccountToken
        : serviceAccount != null;
  }

  static boolean isSeccompProfile(String value) {
    return SECCOMP_PROFILES.contains(value);
  }

  static boolean isCapability(String value) {
    return CAPABILITY.matcher(value).matches() && !value.startsWith("CAP_");
  }

  /**
   * @throws IllegalArgumentException naming the offending option
   */
  void validate(String prefix) {
    if (!isSeccompProfile(seccompProfile)) {
      String shown = String.valueOf(seccompProfile).replaceAll("\\p{Cntrl}", "?");
      String problem = "expected RuntimeDefault or Unconfined";
      throw new InvalidOptionException(
          prefix + "invalid option seccompProfile=" + shown + ": " + problem,
          "seccompProfile",
          shown,
          problem);
    }
    for (String capability : capabilitiesAdd) {
      if (!isCapability(capability)) {
        String problem =
            "'"
                + capability.replaceAll("\\p{Cntrl}", "?")
                + "' is not a capability name such as NET_ADMIN (upper case, without CAP_)";
        throw new InvalidOptionException(
            prefix + "invalid option capabilitiesAdd: " + problem,
            "capabilitiesAdd",
            null,
            problem);
      }
    }
  }
}
