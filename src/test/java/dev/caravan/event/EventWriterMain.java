package dev.caravan.event;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The child JVM of {@link EventDurabilityIT}: publishes {@code e-<first>}, {@code e-<first+1>}, ...
 * to {@code event:github} on the H2 database {@code args[0]} and reports each one on stdout ({@code
 * stored <id>}, or {@code duplicate <id>} when it had been stored before) as soon as the producer
 * returned. Runs until killed, at most 10,000 events or 60 seconds.
 *
 * <p>Arguments: JDBC URL, first index (default 0).
 */
public final class EventWriterMain {

  static final String SUBSCRIBER = "durable-pipeline";
  static final int MAX_EVENTS = 10_000;
  static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(60);

  private EventWriterMain() {}

  public static void main(String[] args) throws Exception {
    PrintStream report = System.out;
    System.setOut(System.err); // log output must not mix with the report
    String jdbcUrl = args[0];
    int first = args.length > 1 ? Integer.parseInt(args[1]) : 0;

    CamelContext context = new DefaultCamelContext();
    EventComponent events = H2EventComponents.at(jdbcUrl);
    // the component's default (5 s): this JVM writes; its pipeline is there for the deliveries
    events.setPollInterval(5_000);
    context.addComponent("event", events);
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            // a subscriber, so each append also writes a delivery in the same transaction
            from("event:github?types=push").routeId(SUBSCRIBER).log("ran ${header.CaravanEventId}");
          }
        });
    context.start();
    ProducerTemplate producer = context.createProducerTemplate();
    long deadline = System.nanoTime() + MAX_NANOS;
    for (int i = first; i < first + MAX_EVENTS && System.nanoTime() - deadline < 0; i++) {
      String id = "e-" + i;
      String body = "{\"n\":" + i + "}";
      Exchange done =
          producer.request(
              "event:github",
              exchange -> {
                exchange.getMessage().setHeader(EventConstants.EVENT_ID, id);
                exchange.getMessage().setHeader(EventConstants.EVENT_TYPE, "push");
                exchange.getMessage().setBody(body);
              });
      if (done.getException() != null) {
        report.println("failed " + id + " " + done.getException());
        report.flush();
        context.stop();
        System.exit(1);
      }
      boolean duplicate =
          done.getMessage().getHeader(EventConstants.EVENT_DUPLICATE, Boolean.class);
      report.println((duplicate ? "duplicate " : "stored ") + id);
      report.flush();
    }
    report.println("done");
    report.flush();
    context.stop();
  }
}
