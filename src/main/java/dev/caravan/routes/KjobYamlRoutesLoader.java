package dev.caravan.routes;

import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.dsl.yaml.YamlRoutesBuilderLoader;
import org.apache.camel.dsl.yaml.common.YamlDeserializationContext;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Camel's YAML routes loader, with the {@code env.NAME} values of kjob endpoints passed to the step
 * as written ({@link KjobEnvValues}). Everything else is Camel's own.
 */
public class KjobYamlRoutesLoader extends YamlRoutesBuilderLoader {

  @Override
  protected RouteBuilder builder(YamlDeserializationContext context, Node root) {
    KjobEnvValues.wrap(root);
    return super.builder(context, root);
  }
}
