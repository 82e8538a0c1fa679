package dev.caravan.kjob;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Refuses endpoint parameters that are no kjob option before Camel does, with a short message that
 * names the option and suggests the nearest one (Camel's own report ends a long text).
 */
final class UnknownOptions {

  private static final int MAX_SUGGESTION_DISTANCE = 2;

  private final Set<String> options;
  private final Collection<String> prefixes;

  private UnknownOptions(Set<String> options, Collection<String> prefixes) {
    this.options = options;
    this.prefixes = prefixes;
  }

  /** The options of the endpoint, from the metadata that Camel's build plugin generates. */
  static UnknownOptions ofEndpoint() {
    KjobEndpointUriFactory factory = new KjobEndpointUriFactory();
    Set<String> names = new TreeSet<>(factory.propertyNames());
    names.remove("stepName");
    names.removeAll(factory.multiValuePrefixes().keySet());
    return new UnknownOptions(names, factory.multiValuePrefixes().values());
  }

  /** Throws for the first parameter that is neither an option nor starts with an option prefix. */
  void check(Map<String, Object> parameters) {
    for (String name : new TreeSet<>(parameters.keySet())) {
      if (!options.contains(name) && prefixes.stream().noneMatch(name::startsWith)) {
        String suggestion = suggestion(name);
        throw new InvalidOptionException(
            "kjob: unknown option '"
                + LogSafe.escape(name)
                + "'"
                + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)"),
            name,
            null,
            "unknown option");
      }
    }
  }

  /** The nearest option (case-insensitive edit distance), or null when none is near. */
  String suggestion(String name) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String option : options) {
      int distance = distance(name.toLowerCase(), option.toLowerCase());
      if (distance < bestDistance) {
        best = option;
        bestDistance = distance;
      }
    }
    for (String prefix : prefixes) {
      String dotted = prefixOf(name);
      if (dotted != null && distance(dotted.toLowerCase(), prefix.toLowerCase()) < bestDistance) {
        best = prefix + name.substring(dotted.length());
        bestDistance = distance(dotted.toLowerCase(), prefix.toLowerCase());
      }
    }
    int allowed = Math.max(MAX_SUGGESTION_DISTANCE, name.length() / 3);
    return bestDistance <= allowed ? best : null;
  }

  /** Optimal string alignment distance: insertions, deletions, substitutions, transpositions. */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  /** The part of a dotted name up to and including its first dot ({@code evn.} of evn.NAME). */
  private static String prefixOf(String name) {
    int dot = name.indexOf('.');
    return dot < 0 ? null : name.substring(0, dot + 1);
  }
}
