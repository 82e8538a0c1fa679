package dev.caravan.kjob;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.camel.CamelContext;
import org.apache.camel.Message;
import org.apache.camel.spi.ExtendedPropertyConfigurerGetter;
import org.apache.camel.spi.PropertyConfigurer;
import org.apache.camel.support.PluginHelper;

/**
 * The header rule: the header {@code Caravan<Option>} overrides the option for one exchange (see
 * {@link KjobConstants}). Applied onto a copy of the endpoint's {@link KjobConfiguration} through
 * its generated configurer, so that every option declared there is overridable without a line here;
 * the two map options are the exceptions ({@code CaravanEnv} is merged by {@link StepSpecResolver},
 * {@code CaravanNodeSelector} replaces the selector).
 */
final class ExchangeOptions {

  /** The header of the env option: a Map merged over the env.NAME options. */
  static final String ENV_HEADER = KjobConstants.overrideHeader("env");

  private static final String NODE_SELECTOR = "nodeSelector";
  private static final Set<String> NOT_BY_HEADER = Set.of("stepName", "env", NODE_SELECTOR);

  private final CamelContext camel;
  private final PropertyConfigurer configurer;
  private final ExtendedPropertyConfigurerGetter getter;

  /** Option name to its Java type, from the generated configurer. */
  private final Map<String, Class<?>> types = new LinkedHashMap<>();

  ExchangeOptions(CamelContext camel) {
    this.camel = camel;
    this.configurer =
        PluginHelper.getConfigurerResolver(camel)
            .resolvePropertyConfigurer(KjobConfiguration.class.getName(), camel);
    if (!(configurer instanceof ExtendedPropertyConfigurerGetter generated)) {
      throw new IllegalStateException(
          "The generated configurer of "
              + KjobConfiguration.class.getName()
              + " is missing from the class path (src/generated, made by mvn process-classes)");
    }
    this.getter = generated;
    getter
        .getAllOptions(null)
        .forEach(
            (name, type) ->
                types.put(
                    Character.toLowerCase(name.charAt(0)) + name.substring(1), (Class<?>) type));
  }

  /**
   * What the headers changed: which option came from which header, and the list options a header
   * gave as a List (kept as such: an item may hold a comma).
   */
  record Overrides(Map<String, String> headerOf, Map<String, List<String>> lists) {}

  /**
   * Applies the message's override headers to the options (a copy), then turns blank texts into
   * {@code null} (unset).
   *
   * @throws IllegalArgumentException naming the header whose value the option does not take
   */
  Overrides apply(Message message, KjobConfiguration options) {
    Map<String, String> headerOf = new LinkedHashMap<>();
    Map<String, List<String>> lists = new LinkedHashMap<>();
    if (message != null) {
      types.forEach(
          (option, type) -> {
            if (NOT_BY_HEADER.contains(option)) {
              return;
            }
            String header = KjobConstants.overrideHeader(option);
            Object value = message.getHeader(header);
            if (value == null || (value instanceof String text && text.isBlank())) {
              return;
            }
            if (value instanceof Collection<?> items && type == String.class) {
              List<String> list = items.stream().map(String::valueOf).toList();
              lists.put(option, list);
              value = String.join(",", list);
            }
            set(options, option, convert(header, value, type));
            headerOf.put(option, header);
          });
      Object selector = message.getHeader(KjobConstants.overrideHeader(NODE_SELECTOR));
      if (selector != null) {
        options.setNodeSelector(strings(KjobConstants.overrideHeader(NODE_SELECTOR), selector));
        headerOf.put(NODE_SELECTOR, KjobConstants.overrideHeader(NODE_SELECTOR));
      }
    }
    types.forEach(
        (option, type) -> {
          if (type == String.class
              && getter.getOptionValue(options, option, false) instanceof String text
              && text.isBlank()) {
            set(options, option, null);
          }
        });
    return new Overrides(headerOf, lists);
  }

  /** A Map header ({@code CaravanEnv}, {@code CaravanNodeSelector}) as names and texts. */
  static Map<String, String> strings(String header, Object value) {
    if (!(value instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException(
          InvalidOptionException.headerMessage(
              header, null, "expected a Map, not " + value.getClass().getSimpleName()));
    }
    Map<String, String> strings = new LinkedHashMap<>();
    map.forEach((name, text) -> strings.put(String.valueOf(name), String.valueOf(text)));
    return strings;
  }

  private void set(KjobConfiguration options, String option, Object value) {
    if (!configurer.configure(camel, options, option, value, false)) {
      throw new IllegalStateException("The configurer of kjob does not know option " + option);
    }
  }

  /** The header's value as the option's type; a value of another kind names the header. */
  private static Object convert(String header, Object value, Class<?> type) {
    if (type == boolean.class || type == Boolean.class) {
      if (value instanceof Boolean flag) {
        return flag;
      }
      String text = value.toString().trim();
      if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
        return Boolean.valueOf(text);
      }
      throw invalid(header, value, "expected true or false");
    }
    if (type == int.class || type == Integer.class) {
      if (value instanceof Integer number) {
        return number;
      }
      try {
        return Integer.parseInt(value.toString().trim());
      } catch (NumberFormatException e) {
        throw invalid(header, value, "expected a whole number");
      }
    }
    if (type == String.class) {
      return value.toString();
    }
    return value;
  }

  private static IllegalArgumentException invalid(String header, Object value, String problem) {
    return new IllegalArgumentException(
        InvalidOptionException.headerMessage(header, LogSafe.escape(value.toString()), problem));
  }
}
