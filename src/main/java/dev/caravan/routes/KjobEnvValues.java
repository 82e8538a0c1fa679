package dev.caravan.routes;

import java.util.List;
import java.util.ListIterator;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Wraps the {@code env.NAME} values under a kjob endpoint's {@code parameters:} in {@code RAW(...)}
 * in a YAML route's node tree, before Camel's YAML DSL joins that map into a URI without encoding
 * it (where {@code +} would become a space, {@code %41} an {@code A}, and {@code &} end the value).
 * The YAML DSL does that itself for the options the endpoint marks secret ({@code script}, {@code
 * command}, {@code args}), but not for the values of a prefixed option such as {@code env.}.
 */
final class KjobEnvValues {

  static final String SCHEME = "kjob";
  static final String PREFIX = "env.";

  private KjobEnvValues() {}

  /** Rewrites every kjob endpoint's env values below the node, in place. */
  static void wrap(Node node) {
    if (node instanceof SequenceNode sequence) {
      sequence.getValue().forEach(KjobEnvValues::wrap);
    } else if (node instanceof MappingNode mapping) {
      if (isKjobEndpoint(mapping.getValue())) {
        Node parameters = value(mapping.getValue(), "parameters");
        if (parameters instanceof MappingNode map) {
          wrapEnv(map.getValue());
        }
      }
      mapping.getValue().forEach(tuple -> wrap(tuple.getValueNode()));
    }
  }

  private static boolean isKjobEndpoint(List<NodeTuple> tuples) {
    return value(tuples, "uri") instanceof ScalarNode uri
        && (uri.getValue().equals(SCHEME) || uri.getValue().startsWith(SCHEME + ":"));
  }

  private static void wrapEnv(List<NodeTuple> parameters) {
    for (ListIterator<NodeTuple> it = parameters.listIterator(); it.hasNext(); ) {
      NodeTuple tuple = it.next();
      if (tuple.getKeyNode() instanceof ScalarNode key
          && key.getValue().startsWith(PREFIX)
          && tuple.getValueNode() instanceof ScalarNode value
          && !value.getValue().startsWith("RAW(")
          && !value.getValue().startsWith("RAW{")) {
        it.set(new NodeTuple(key, raw(key.getValue(), value)));
      }
    }
  }

  /**
   * {@code RAW(value)}, or {@code RAW{value}} when the value holds {@code )&}, where Camel would
   * end {@code RAW(...)}.
   */
  static String raw(String name, String value) {
    if (!value.contains(")&")) {
      return "RAW(" + value + ")";
    }
    if (!value.contains("}&")) {
      return "RAW{" + value + "}";
    }
    throw new IllegalArgumentException(
        "kjob option '"
            + name
            + "': a value holding both ')&' and '}&' cannot be written in an endpoint URI;"
            + " set it from a header instead (env."
            + name.substring(PREFIX.length())
            + ": \"${header.value}\")");
  }

  private static ScalarNode raw(String name, ScalarNode value) {
    return new ScalarNode(
        Tag.STR,
        true,
        raw(name, value.getValue()),
        ScalarStyle.DOUBLE_QUOTED,
        value.getStartMark(),
        value.getEndMark());
  }

  private static Node value(List<NodeTuple> tuples, String key) {
    for (NodeTuple tuple : tuples) {
      if (tuple.getKeyNode() instanceof ScalarNode scalar && scalar.getValue().equals(key)) {
        return tuple.getValueNode();
      }
    }
    return null;
  }
}
