package dev.caravan.event;

import java.util.regex.Pattern;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.MultipleConsumersSupport;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

/** {@code event:<source>}: publish to, or subscribe to, Caravan events. */
@UriEndpoint(
    firstVersion = "0.1.0",
    scheme = "event",
    title = "Caravan Event",
    syntax = "event:source",
    category = {Category.MESSAGING},
    headersClass = EventConstants.class)
public class EventEndpoint extends DefaultEndpoint implements MultipleConsumersSupport {

  private static final Pattern SOURCE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,254}");

  /**
   * Source of the events: github, webhook/NAME (the name of a generic webhook); a lone star to
   * subscribe to all.
   */
  @UriPath
  @Metadata(required = true)
  private final String source;

  /**
   * Consumer: comma-separated event types to receive; a type ending in a colon and a star
   * (pull_request: then the star) matches every type of that kind. Empty for all.
   */
  @UriParam(label = "consumer")
  private String types;

  /**
   * Consumer: subject to receive, exact, or a prefix followed by a star (octo/ then the star) for
   * every subject it starts. Empty for all.
   */
  @UriParam(label = "consumer")
  private String subject;

  /** Consumer: most runs of this pipeline in flight at once; further events wait in the store. */
  @UriParam(label = "consumer", defaultValue = "10")
  private int concurrency = 10;

  /**
   * Consumer: a Simple expression over the run's event (its data as the body, the Caravan event
   * headers) whose value names the run's concurrency group, for example the event's subject and the
   * pull request's number; runs with the same value form a group. Empty: the whole pipeline is one
   * group. Needs concurrencyLimit.
   */
  @UriParam(label = "consumer")
  private String concurrencyKey;

  /**
   * Consumer: most runs of one concurrency group in flight at once, across every Caravan on the
   * store; 0 for no limit (and no groups).
   */
  @UriParam(label = "consumer", defaultValue = "0")
  private int concurrencyLimit;

  /**
   * Consumer: what a new run does when its concurrency group is full: queue (it waits as QUEUED and
   * starts in arrival order), cancelRunning (the oldest running run of the group is canceled,
   * superseded by the new one) or skip (the new run ends at once as SKIPPED). Needs
   * concurrencyLimit.
   */
  @UriParam(label = "consumer", enums = "queue,cancelRunning,skip", defaultValue = "queue")
  private String onConflict;

  public EventEndpoint(String uri, EventComponent component, String source) {
    super(uri, component);
    this.source = source;
  }

  @Override
  public EventComponent getComponent() {
    return (EventComponent) super.getComponent();
  }

  @Override
  public Producer createProducer() {
    if ("*".equals(source) || !SOURCE.matcher(source).matches()) {
      throw new IllegalArgumentException(
          "event:" + source + ": publish to one source made of letters, digits, . _ / -");
    }
    return new EventProducer(this);
  }

  @Override
  public Consumer createConsumer(Processor processor) throws Exception {
    if (!"*".equals(source) && !SOURCE.matcher(source).matches()) {
      throw new IllegalArgumentException(
          "event:" + source + ": subscribe to * or to a source made of letters, digits, . _ / -");
    }
    if (concurrency < 1) {
      throw new IllegalArgumentException("event:" + source + ": concurrency must be at least 1");
    }
    EventConsumer consumer = new EventConsumer(this, processor, ConcurrencyGroups.of(this));
    configureConsumer(consumer);
    return consumer;
  }

  /**
   * Any number of routes may subscribe with the same URI: each is a subscriber of its own (its
   * route id) and gets each matching event once.
   */
  @Override
  public boolean isMultipleConsumersSupported() {
    return true;
  }

  /** Whether a single source to publish to: letters, digits, {@code . _ / -}. */
  static boolean isSource(String source) {
    return SOURCE.matcher(source).matches();
  }

  public String getSource() {
    return source;
  }

  public String getTypes() {
    return types;
  }

  public void setTypes(String types) {
    this.types = types;
  }

  public String getSubject() {
    return subject;
  }

  public void setSubject(String subject) {
    this.subject = subject;
  }

  public int getConcurrency() {
    return concurrency;
  }

  public void setConcurrency(int concurrency) {
    this.concurrency = concurrency;
  }

  public String getConcurrencyKey() {
    return concurrencyKey;
  }

  public void setConcurrencyKey(String concurrencyKey) {
    this.concurrencyKey = concurrencyKey;
  }

  public int getConcurrencyLimit() {
    return concurrencyLimit;
  }

  public void setConcurrencyLimit(int concurrencyLimit) {
    this.concurrencyLimit = concurrencyLimit;
  }

  public String getOnConflict() {
    return onConflict;
  }

  public void setOnConflict(String onConflict) {
    this.onConflict = onConflict;
  }
}
