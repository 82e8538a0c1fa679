package dev.caravan.graph;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.camel.CamelContext;
import org.apache.camel.model.CatchDefinition;
import org.apache.camel.model.ChoiceDefinition;
import org.apache.camel.model.DisabledAwareDefinition;
import org.apache.camel.model.FilterDefinition;
import org.apache.camel.model.FinallyDefinition;
import org.apache.camel.model.LoopDefinition;
import org.apache.camel.model.Model;
import org.apache.camel.model.MulticastDefinition;
import org.apache.camel.model.OptionalIdentifiedDefinition;
import org.apache.camel.model.OtherwiseDefinition;
import org.apache.camel.model.OutputNode;
import org.apache.camel.model.PipelineDefinition;
import org.apache.camel.model.ProcessDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.SendDefinition;
import org.apache.camel.model.SetHeaderDefinition;
import org.apache.camel.model.SetPropertyDefinition;
import org.apache.camel.model.SplitDefinition;
import org.apache.camel.model.StepDefinition;
import org.apache.camel.model.ThrottleDefinition;
import org.apache.camel.model.ThrowExceptionDefinition;
import org.apache.camel.model.ToDynamicDefinition;
import org.apache.camel.model.TryDefinition;
import org.apache.camel.model.WhenDefinition;
import org.apache.camel.model.language.ExpressionDefinition;
import org.apache.camel.support.CamelContextHelper;
import org.apache.camel.util.URISupport;

/**
 * The graph of a route, read from the CamelContext's route model (what Camel runs, never a list of
 * its own): a tree of {@link GraphNode}s whose kinds are
 *
 * <ul>
 *   <li>{@code sequence}: the route itself (name = route id, label = its {@code from} URI), a
 *       {@code pipeline} or a {@code step} EIP; children run one after another;
 *   <li>{@code step}: a {@code kjob} endpoint (name = step name, {@code image}, {@code script}: the
 *       first line of its script, see {@link StepNodes});
 *   <li>{@code parallel}: a {@code multicast} (children = its branches, {@code
 *       parallelProcessing});
 *   <li>{@code split} ({@code expression}, {@code parallelProcessing}), {@code loop} ({@code
 *       expression}, {@code doWhile}), {@code throttle} ({@code expression}, {@code mode}):
 *       children are their body;
 *   <li>{@code choice} (children {@code when}... then {@code otherwise}), {@code when} and {@code
 *       filter} ({@code condition});
 *   <li>{@code try} (children: its body, then its {@code catch}es ({@code exceptions}, {@code
 *       condition}), then its {@code finally});
 *   <li>{@code other}: any other processor (label = its name, with the header, bean, exception or
 *       endpoint it names), children = its outputs if it has any (an {@code aggregate}'s steps).
 * </ul>
 *
 * <p>Disabled processors are left out. Expressions are shown as written, property placeholders
 * unresolved; a step's image and script are the endpoint's, as Camel resolved them.
 */
public final class PipelineGraph {

  private final CamelContext camelContext;
  private final StepNodes steps;

  public PipelineGraph(CamelContext camelContext) {
    this.camelContext = camelContext;
    this.steps = new StepNodes(camelContext);
  }

  /** The graph of the route with this id, if the context's model has it. */
  public Optional<GraphNode> of(String routeId) {
    Model model = camelContext.getCamelContextExtension().getContextPlugin(Model.class);
    return Optional.ofNullable(model).map(found -> found.getRouteDefinition(routeId)).map(this::of);
  }

  /** The graph of a route definition. */
  public GraphNode of(RouteDefinition route) {
    String from = route.getInput() == null ? null : route.getInput().getEndpointUri();
    return new GraphNode(
        "sequence",
        route.getRouteId(),
        from == null ? route.getRouteId() : URISupport.sanitizeUri(from),
        Map.of(),
        children(route.getOutputs()));
  }

  private List<GraphNode> children(List<ProcessorDefinition<?>> outputs) {
    List<GraphNode> children = new ArrayList<>();
    if (outputs != null) {
      for (ProcessorDefinition<?> output : outputs) {
        if (!isDisabled(output)) {
          children.add(node(output));
        }
      }
    }
    return children;
  }

  private boolean isDisabled(DisabledAwareDefinition definition) {
    String disabled = definition.getDisabled();
    return disabled != null
        && Boolean.TRUE.equals(CamelContextHelper.parseBoolean(camelContext, disabled));
  }

  private GraphNode node(ProcessorDefinition<?> definition) {
    Map<String, Object> details = new LinkedHashMap<>();
    if (definition instanceof SendDefinition<?> send && steps.isStep(send.getEndpointUri())) {
      return steps.node(send.getEndpoint(), send.getEndpointUri());
    }
    if (definition instanceof ToDynamicDefinition dynamic && steps.isStep(dynamic.getUri())) {
      return steps.dynamicNode(dynamic.getUri());
    }
    if (definition instanceof MulticastDefinition multicast) {
      details.put("parallelProcessing", isTrue(multicast.getParallelProcessing()));
      return node("parallel", definition, "multicast", details);
    }
    if (definition instanceof SplitDefinition split) {
      String expression = text(split.getExpression());
      details.put("expression", expression);
      details.put("parallelProcessing", isTrue(split.getParallelProcessing()));
      return node("split", definition, expression, details);
    }
    if (definition instanceof LoopDefinition loop) {
      String expression = text(loop.getExpression());
      boolean doWhile = isTrue(loop.getDoWhile());
      details.put("expression", expression);
      details.put("doWhile", doWhile);
      return node("loop", definition, doWhile ? "while " + expression : expression, details);
    }
    if (definition instanceof ThrottleDefinition throttle) {
      String expression = text(throttle.getExpression());
      details.put("expression", expression);
      details.put("mode", throttle.getMode());
      return node("throttle", definition, expression, details);
    }
    if (definition instanceof ChoiceDefinition choice) {
      List<GraphNode> branches = new ArrayList<>();
      for (WhenDefinition when : choice.getWhenClauses()) {
        if (!isDisabled(when)) {
          branches.add(conditional("when", when, text(when.getExpression())));
        }
      }
      OtherwiseDefinition otherwise = choice.getOtherwise();
      if (otherwise != null && !isDisabled(otherwise)) {
        branches.add(node("otherwise", otherwise, "otherwise", details));
      }
      return new GraphNode("choice", name(definition), "choice", details, branches);
    }
    if (definition instanceof FilterDefinition filter) {
      return conditional("filter", filter, text(filter.getExpression()));
    }
    if (definition instanceof TryDefinition doTry) {
      return new GraphNode("try", name(definition), "try", details, children(tryOutputs(doTry)));
    }
    if (definition instanceof CatchDefinition doCatch) {
      return catchNode(doCatch);
    }
    if (definition instanceof FinallyDefinition) {
      return node("finally", definition, "finally", details);
    }
    if (definition instanceof PipelineDefinition || definition instanceof StepDefinition) {
      return node("sequence", definition, definition.getShortName(), details);
    }
    return node("other", definition, shape(definition), details);
  }

  /**
   * A try's body, then its catches, then its finally: the Java DSL keeps them all in the outputs,
   * the YAML DSL the catches and the finally apart.
   */
  private static List<ProcessorDefinition<?>> tryOutputs(TryDefinition doTry) {
    List<ProcessorDefinition<?>> body = new ArrayList<>();
    List<ProcessorDefinition<?>> catches = new ArrayList<>();
    ProcessorDefinition<?> doFinally = doTry.getFinallyClause();
    for (ProcessorDefinition<?> output : doTry.getOutputs()) {
      if (output instanceof CatchDefinition) {
        catches.add(output);
      } else if (output instanceof FinallyDefinition) {
        doFinally = output;
      } else {
        body.add(output);
      }
    }
    if (doTry.getCatchClauses() != null) {
      doTry.getCatchClauses().stream()
          .filter(doCatch -> catches.stream().noneMatch(known -> known == doCatch))
          .forEach(catches::add);
    }
    body.addAll(catches);
    if (doFinally != null) {
      body.add(doFinally);
    }
    return body;
  }

  private GraphNode conditional(
      String kind, OptionalIdentifiedDefinition<?> definition, String condition) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("condition", condition);
    return node(kind, definition, condition, details);
  }

  private GraphNode catchNode(CatchDefinition doCatch) {
    List<String> exceptions = new ArrayList<>();
    if (doCatch.getExceptions() != null && !doCatch.getExceptions().isEmpty()) {
      exceptions.addAll(doCatch.getExceptions());
    } else if (doCatch.getExceptionClasses() != null) {
      doCatch.getExceptionClasses().forEach(type -> exceptions.add(type.getName()));
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("exceptions", List.copyOf(exceptions));
    if (doCatch.getOnWhen() != null) {
      details.put("condition", text(doCatch.getOnWhen().getExpression()));
    }
    String label =
        exceptions.isEmpty()
            ? "catch"
            : String.join(
                ", ", exceptions.stream().map(type -> type.replaceAll(".*[.$]", "")).toList());
    return node("catch", doCatch, label, details);
  }

  private GraphNode node(
      String kind,
      OptionalIdentifiedDefinition<?> definition,
      String label,
      Map<String, Object> details) {
    List<ProcessorDefinition<?>> outputs =
        definition instanceof OutputNode parent ? parent.getOutputs() : List.of();
    return new GraphNode(kind, name(definition), label, details, children(outputs));
  }

  /** The id the route's author gave the node, else the EIP's name. */
  private static String name(OptionalIdentifiedDefinition<?> definition) {
    return definition.hasCustomIdAssigned() ? definition.getId() : definition.getShortName();
  }

  /** The EIP's name, with the endpoint, header, property, bean or exception it names. */
  private static String shape(ProcessorDefinition<?> definition) {
    String name = definition.getShortName();
    String what = null;
    if (definition instanceof SendDefinition<?> send) {
      what = send.getEndpointUri() == null ? null : URISupport.sanitizeUri(send.getEndpointUri());
    } else if (definition instanceof ToDynamicDefinition dynamic) {
      what = dynamic.getUri() == null ? null : URISupport.sanitizeUri(dynamic.getUri());
    } else if (definition instanceof SetHeaderDefinition setHeader) {
      what = setHeader.getName();
    } else if (definition instanceof SetPropertyDefinition setProperty) {
      what = setProperty.getName();
    } else if (definition instanceof ProcessDefinition process) {
      what = process.getRef();
    } else if (definition instanceof ThrowExceptionDefinition throwException) {
      what = throwException.getExceptionType();
    }
    return what == null || what.isBlank() ? name : name + " " + what;
  }

  private boolean isTrue(String value) {
    return value != null
        && Boolean.TRUE.equals(CamelContextHelper.parseBoolean(camelContext, value));
  }

  /** An expression as its author wrote it: the text, prefixed by its language unless simple. */
  static String text(ExpressionDefinition expression) {
    if (expression == null) {
      return null;
    }
    String text = expression.getExpression();
    if (text == null || text.isBlank()) {
      return expression.getLabel();
    }
    String language = expression.getLanguage();
    return language == null || language.isBlank() || language.equals("simple")
        ? text
        : language + ": " + text;
  }
}
