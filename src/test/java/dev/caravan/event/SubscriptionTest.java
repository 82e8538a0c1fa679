package dev.caravan.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SubscriptionTest {

  private static Event event(String source, String type, String subject) {
    return new Event("id", source, type, subject, Instant.now(), Map.of(), null);
  }

  @ParameterizedTest(name = "{0} {1} {2} vs {3} {4} {5} -> {6}")
  @CsvSource(
      nullValues = "null",
      value = {
        "github, pull_request:opened, octo/repo, github, '', null, true",
        "github, pull_request:opened, octo/repo, trello, '', null, false",
        "github, pull_request:opened, octo/repo, *, '', null, true",
        "github, pull_request:opened, octo/repo, github, 'pull_request:opened,push', null, true",
        "github, push, octo/repo, github, 'pull_request:opened,push', null, true",
        "github, issues:opened, octo/repo, github, 'pull_request:opened,push', null, false",
        "github, pull_request:closed, octo/repo, github, 'pull_request:*', null, true",
        "github, pull_request_review:submitted, octo/repo, github, 'pull_request:*', null, false",
        "github, push, octo/repo, github, '', octo/repo, true",
        "github, push, octo/other, github, '', octo/repo, false",
        "github, push, octo/other, github, '', octo/*, true",
        "github, push, null, github, '', octo/*, false",
        "webhook/ci, build, null, webhook/ci, '', null, true",
      })
  void matchesBySourceTypeAndSubject(
      String source,
      String type,
      String subject,
      String wantedSource,
      String wantedTypes,
      String wantedSubject,
      boolean matches) {
    Subscription subscription =
        new Subscription(
            "pipeline", wantedSource, Subscription.parseTypes(wantedTypes), wantedSubject);

    assertThat(subscription.matches(event(source, type, subject))).isEqualTo(matches);
  }

  @ParameterizedTest
  @CsvSource({"'a, b,,c', 3", "'', 0"})
  void parsesTypeLists(String types, int count) {
    assertThat(Subscription.parseTypes(types)).hasSize(count).doesNotContain("");
    assertThat(Subscription.parseTypes("a, b")).isEqualTo(List.of("a", "b"));
  }
}
