package dev.caravan.kjob;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Exchange;

/**
 * Turns an endpoint's options, overridden by the exchange's {@code Caravan<Option>} headers, into a
 * {@link StepSpec}, and checks it.
 */
final class StepSpecResolver {

  private final KjobEndpoint endpoint;
  private final ExchangeOptions headers;

  StepSpecResolver(KjobEndpoint endpoint) {
    this.endpoint = endpoint;
    this.headers = new ExchangeOptions(endpoint.getCamelContext());
  }

  /** The spec as the endpoint's options alone give it (env expressions unevaluated). */
  StepSpec staticSpec() {
    KjobConfiguration options = endpoint.getConfiguration().copy();
    ExchangeOptions.Overrides none = headers.apply(null, options);
    return check(spec(options, new LinkedHashMap<>(options.getEnv()), none, null), none);
  }

  /** The spec for one exchange: headers override options, env expressions are evaluated. */
  StepSpec resolve(Exchange exchange) {
    KjobConfiguration options = endpoint.getConfiguration().copy();
    ExchangeOptions.Overrides overrides = headers.apply(exchange.getMessage(), options);
    StepEvent event = stepEvent(exchange);
    StepSpec spec = check(spec(options, env(exchange), overrides, event), overrides);
    if (options.isCheckout() && spec.repository() == null) {
      throw new IllegalArgumentException(
          "kjob:"
              + spec.stepName()
              + ": checkout=true needs a repository URL: the event label "
              + StepEvent.CLONE_URL_LABEL
              + " (exchange property "
              + KjobConstants.STEP_EVENT
              + "), the option repository or the header "
              + KjobConstants.overrideHeader("repository")
              + " (none was set)");
    }
    return spec;
  }

  private StepSpec spec(
      KjobConfiguration options,
      Map<String, String> env,
      ExchangeOptions.Overrides overrides,
      StepEvent event) {
    try {
      String executor =
          options.getExecutor() != null
              ? options.getExecutor()
              : endpoint.getComponent().getExecutor();
      ExecutorType type =
          endpoint.getComponent().executors().resolve(ExecutorType.parse(executor, "executor"));
      return new StepSpec(options, type, env, overrides.lists(), event);
    } catch (InvalidOptionException e) {
      throw named(e, overrides);
    }
  }

  private static StepSpec check(StepSpec spec, ExchangeOptions.Overrides overrides) {
    try {
      return StepSpecCheck.validate(spec);
    } catch (InvalidOptionException e) {
      throw named(e, overrides);
    }
  }

  /** The problem under the header's name when the bad value came from the option's header. */
  private static IllegalArgumentException named(
      InvalidOptionException e, ExchangeOptions.Overrides overrides) {
    String header = overrides.headerOf().get(e.option());
    return header == null ? e : e.forHeader(header);
  }

  /** The env.NAME options evaluated for the exchange, the CaravanEnv header merged over them. */
  private Map<String, String> env(Exchange exchange) {
    Map<String, String> env = new LinkedHashMap<>();
    endpoint
        .envExpressions()
        .forEach(
            (name, expression) -> {
              String value = expression.evaluate(exchange, String.class);
              env.put(name, value == null ? "" : value);
            });
    Object extra = exchange.getMessage().getHeader(ExchangeOptions.ENV_HEADER);
    if (extra != null) {
      ExchangeOptions.strings(ExchangeOptions.ENV_HEADER, extra)
          .forEach(
              (name, value) -> {
                String problem = StepSpecCheck.envNameProblem(name);
                if (problem != null) {
                  throw new IllegalArgumentException(
                      InvalidOptionException.headerMessage(
                          ExchangeOptions.ENV_HEADER, null, problem));
                }
                env.put(name, value);
              });
    }
    return env;
  }

  private static StepEvent stepEvent(Exchange exchange) {
    Object event = exchange.getProperty(KjobConstants.STEP_EVENT);
    if (event == null || event instanceof StepEvent) {
      return (StepEvent) event;
    }
    throw new IllegalArgumentException(
        "The exchange property "
            + KjobConstants.STEP_EVENT
            + " must hold a "
            + StepEvent.class.getName()
            + ", not a "
            + event.getClass().getName());
  }
}
