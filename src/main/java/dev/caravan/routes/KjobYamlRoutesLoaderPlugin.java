package dev.caravan.routes;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.ContextServicePlugin;
import org.apache.camel.spi.RoutesBuilderLoader;

/**
 * Puts {@link KjobYamlRoutesLoader} in every CamelContext's registry (found by Camel through {@code
 * META-INF/services/org.apache.camel.spi.ContextServicePlugin}), where Camel's routes loader looks
 * for a loader of {@code .yaml} files before its own, under Spring Boot, camel-main and Camel K
 * alike. Nothing is bound where Camel's YAML DSL is not on the class path, or where a YAML loader
 * is bound already.
 */
public class KjobYamlRoutesLoaderPlugin implements ContextServicePlugin {

  static final String YAML_LOADER = "org.apache.camel.dsl.yaml.YamlRoutesBuilderLoader";
  static final String BEAN_NAME = "caravan-kjob-yaml-routes-loader";

  @Override
  public void load(CamelContext camelContext) {
    if (camelContext.getClassResolver().resolveClass(YAML_LOADER) == null
        || yamlLoaderBound(camelContext)) {
      return;
    }
    camelContext
        .getRegistry()
        .bind(BEAN_NAME, RoutesBuilderLoader.class, new KjobYamlRoutesLoader());
  }

  private static boolean yamlLoaderBound(CamelContext camelContext) {
    return camelContext.getRegistry().findByType(RoutesBuilderLoader.class).stream()
        .anyMatch(loader -> loader.isSupportedExtension("yaml"));
  }
}
