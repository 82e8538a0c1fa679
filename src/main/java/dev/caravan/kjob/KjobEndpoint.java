package dev.caravan.kjob;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Expression;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.support.ResourceHelper;

/** Runs one pipeline step as a container (Kubernetes Job) or local process to completion. */
@UriEndpoint(
    firstVersion = "0.1.0",
    scheme = "kjob",
    title = "Caravan Kubernetes Job",
    syntax = "kjob:stepName",
    producerOnly = true,
    category = {Category.CONTAINER, Category.CLOUD},
    headersClass = KjobConstants.class)
public class KjobEndpoint extends DefaultEndpoint {

  /** A script option starting with this is loaded from classpath:, file: or http: instead. */
  static final String SCRIPT_RESOURCE_PREFIX = "resource:";

  @UriParam private final KjobConfiguration configuration;

  private Map<String, Expression> envExpressions = Map.of();

  public KjobEndpoint(String uri, KjobComponent component, KjobConfiguration configuration) {
    super(uri, component);
    this.configuration = configuration;
  }

  @Override
  public KjobComponent getComponent() {
    return (KjobComponent) super.getComponent();
  }

  public KjobConfiguration getConfiguration() {
    return configuration;
  }

  @Override
  public Producer createProducer() {
    return new KjobProducer(this);
  }

  @Override
  public Consumer createConsumer(Processor processor) {
    throw new UnsupportedOperationException(
        "kjob runs steps and cannot be used in from: use it in to:");
  }

  /** Compiles env expressions and fails fast, naming the option, on an unrunnable step. */
  @Override
  protected void doInit() throws Exception {
    super.doInit();
    String script = configuration.getScript();
    if (script != null && script.startsWith(SCRIPT_RESOURCE_PREFIX)) {
      try (InputStream in =
          ResourceHelper.resolveMandatoryResourceAsInputStream(
              getCamelContext(), script.substring(SCRIPT_RESOURCE_PREFIX.length()))) {
        configuration.setScript(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    Map<String, Expression> expressions = new LinkedHashMap<>();
    var simple = getCamelContext().resolveLanguage("simple");
    configuration
        .getEnv()
        .forEach(
            (name, value) -> {
              Expression expression = simple.createExpression(value);
              expression.init(getCamelContext());
              expressions.put(name, expression);
            });
    envExpressions = Map.copyOf(expressions);
    new StepSpecResolver(this).staticSpec();
  }

  Map<String, Expression> envExpressions() {
    return envExpressions;
  }
}
