package dev.caravan.routes;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.impl.engine.DefaultClassResolver;
import org.apache.camel.spi.RoutesBuilderLoader;
import org.apache.camel.support.PluginHelper;
import org.junit.jupiter.api.Test;

class KjobYamlRoutesLoaderPluginTest {

  @Test
  void yamlRouteFilesAreLoadedByTheKjobAwareLoader() throws Exception {
    try (CamelContext context = new DefaultCamelContext()) {
      assertThat(PluginHelper.getRoutesLoader(context).getRoutesLoader("yaml"))
          .isInstanceOf(KjobYamlRoutesLoader.class);
    }
  }

  @Test
  void bindsNothingWithoutCamelsYamlDsl() {
    DefaultCamelContext context = new DefaultCamelContext(false);
    context.setClassResolver(
        new DefaultClassResolver(context) {
          @Override
          public Class<?> resolveClass(String name) {
            return name.equals(KjobYamlRoutesLoaderPlugin.YAML_LOADER)
                ? null
                : super.resolveClass(name);
          }
        });

    new KjobYamlRoutesLoaderPlugin().load(context);

    assertThat(context.getRegistry().findByType(RoutesBuilderLoader.class)).isEmpty();
  }

  @Test
  void leavesAYamlLoaderBoundBySomeoneElse() {
    DefaultCamelContext context = new DefaultCamelContext(false);
    KjobYamlRoutesLoader theirs = new KjobYamlRoutesLoader();
    context.getRegistry().bind("their-yaml-loader", RoutesBuilderLoader.class, theirs);

    new KjobYamlRoutesLoaderPlugin().load(context);

    assertThat(context.getRegistry().findByType(RoutesBuilderLoader.class)).containsExactly(theirs);
  }
}
