package dev.caravan.gateway;

import dev.caravan.event.EventConstants;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

/**
 * Turns a Kubernetes Event from camel-kubernetes' {@code kubernetes-events} consumer into a Caravan
 * event: type {@code k8s:<reason>}, subject {@code <kind>/<name>} of the object it is about, labels
 * {@code namespace}, {@code type} (Normal, Warning) and {@code count}, body the Kubernetes Event as
 * JSON. The id is {@code k8s:<uid>:<count>}: a watch that restarts and sees the same Event again
 * publishes a duplicate that the store drops, while a repeat (its count went up) is a new event.
 *
 * <p>The consumer watches {@code events.k8s.io/v1} Events (where the object is {@code regarding});
 * core {@code v1} Events ({@code involvedObject}) are read the same way. Deletions (an Event's time
 * to live ran out) are not events and end the exchange.
 */
public class KubernetesEventNormalizer implements Processor {

  /** The header camel-kubernetes sets to the watch action. */
  static final String ACTION = "CamelKubernetesEventAction";

  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  @Override
  public void process(Exchange exchange) {
    Message message = exchange.getMessage();
    Object action = message.getHeader(ACTION);
    if (action != null
        && !Watcher.Action.ADDED.name().equals(action.toString())
        && !Watcher.Action.MODIFIED.name().equals(action.toString())) {
      exchange.setRouteStop(true);
      return;
    }
    Object body = message.getBody();
    Fields event;
    if (body instanceof Event v1) {
      event = fields(v1);
    } else if (body instanceof io.fabric8.kubernetes.api.model.Event core) {
      event = fields(core);
    } else {
      throw new IllegalArgumentException(
          "expected a Kubernetes Event, got "
              + (body == null ? "no body" : body.getClass().getName()));
    }
    ObjectMeta metadata = ((HasMetadata) body).getMetadata();
    String uid = metadata.getUid();
    if (uid == null || uid.isBlank()) {
      uid = metadata.getNamespace() + "/" + metadata.getName();
    }
    int count = event.count() == null || event.count() < 1 ? 1 : event.count();

    Map<String, String> labels = new LinkedHashMap<>();
    putIfPresent(labels, "namespace", metadata.getNamespace());
    putIfPresent(labels, "type", event.type());
    labels.put("count", Integer.toString(count));

    String json = JSON.asJson(body);
    message.removeHeaders("*");
    message.setHeader(EventConstants.EVENT_ID, "k8s:" + uid + ":" + count);
    message.setHeader(
        EventConstants.EVENT_TYPE,
        "k8s:" + (event.reason() == null || event.reason().isBlank() ? "Unknown" : event.reason()));
    message.setHeader(EventConstants.EVENT_SUBJECT, subject(event.object()));
    message.setHeader(EventConstants.EVENT_TIME, firstPresent(event.times()));
    message.setHeader(EventConstants.EVENT_LABELS, labels);
    message.setBody(json);
  }

  private record Fields(
      String reason, String type, Integer count, ObjectReference object, String... times) {}

  private static Fields fields(Event event) {
    var series = event.getSeries();
    return new Fields(
        event.getReason(),
        event.getType(),
        series != null && series.getCount() != null
            ? series.getCount()
            : event.getDeprecatedCount(),
        event.getRegarding(),
        series == null ? null : time(series.getLastObservedTime()),
        event.getDeprecatedLastTimestamp(),
        time(event.getEventTime()),
        event.getDeprecatedFirstTimestamp(),
        event.getMetadata().getCreationTimestamp());
  }

  private static Fields fields(io.fabric8.kubernetes.api.model.Event event) {
    var series = event.getSeries();
    return new Fields(
        event.getReason(),
        event.getType(),
        series != null && series.getCount() != null ? series.getCount() : event.getCount(),
        event.getInvolvedObject(),
        series == null ? null : time(series.getLastObservedTime()),
        event.getLastTimestamp(),
        time(event.getEventTime()),
        event.getFirstTimestamp(),
        event.getMetadata().getCreationTimestamp());
  }

  private static String subject(ObjectReference object) {
    if (object == null || object.getName() == null) {
      return null;
    }
    return (object.getKind() == null ? "" : object.getKind()) + "/" + object.getName();
  }

  private static String time(MicroTime time) {
    return time == null ? null : time.getTime();
  }

  /** The first time given; null (the store then uses now) when none is. */
  private static String firstPresent(String... times) {
    for (String time : times) {
      if (time != null && !time.isBlank()) {
        return time;
      }
    }
    return null;
  }

  private static void putIfPresent(Map<String, String> labels, String key, String value) {
    if (value != null && !value.isBlank()) {
      labels.put(key, value);
    }
  }
}
