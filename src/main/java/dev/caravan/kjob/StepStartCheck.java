package dev.caravan.kjob;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What stops a step from starting that kjob can tell before handing it to an executor: a value that
 * no process can receive (a NUL character in an environment variable, the script or an argument;
 * the operating system ends strings there), or a repository the checkout policy refuses. The reason
 * names the variable or option, never its value.
 */
final class StepStartCheck {

  private StepStartCheck() {}

  static Optional<String> problem(StepRequest request, CheckoutPolicy checkout) {
    StepSpec spec = request.spec();
    for (Map<String, String> env : List.of(spec.env(), request.caravanEnv())) {
      for (Map.Entry<String, String> variable : env.entrySet()) {
        if (hasNul(variable.getValue())) {
          return Optional.of(
              "environment variable " + variable.getKey() + " holds a NUL character");
        }
      }
    }
    if (hasNul(spec.options().getScript())) {
      return Optional.of("the option script holds a NUL character");
    }
    if (spec.command().stream().anyMatch(StepStartCheck::hasNul)) {
      return Optional.of("the option command holds a NUL character");
    }
    if (spec.args().stream().anyMatch(StepStartCheck::hasNul)) {
      return Optional.of("the option args holds a NUL character");
    }
    if (hasNul(spec.options().getWorkingDir())) {
      return Optional.of("the option workingDir holds a NUL character");
    }
    if (spec.options().isCheckout()) {
      return checkout.refusal(spec.repository());
    }
    return Optional.empty();
  }

  private static boolean hasNul(String value) {
    return value != null && value.indexOf('\0') >= 0;
  }
}
