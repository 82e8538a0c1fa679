package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.web.method.HandlerMethod;

class QueryParametersTest {

  private static final Set<String> RUNS =
      new LinkedHashSet<>(
          List.of("pipeline", "status", "event", "since", "until", "limit", "offset"));

  @Test
  void namesAreDecodedAndValuesChecked() {
    assertThat(QueryParameters.names("a=1&b%5B%5D=2&&c&=x")).containsExactly("a", "b[]", "c");
    assertThat(QueryParameters.names(null)).isEmpty();
    assertThatThrownBy(() -> QueryParameters.names("limit=%zz"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void acceptedNamesAreTheHandlersRequestParamsEvenBeforeSpringResolvedAnArgument()
      throws Exception {
    HandlerMethod list =
        new HandlerMethod(
            new RunsController(null),
            RunsController.class.getDeclaredMethod(
                "list",
                String.class,
                String.class,
                String.class,
                String.class,
                String.class,
                Integer.class,
                Integer.class));
    assertThat(QueryParameters.accepted(list))
        .hasValueSatisfying(names -> assertThat(names).containsExactlyElementsOf(RUNS));
    HandlerMethod retry =
        new HandlerMethod(
            new RunRetriesController(null),
            RunRetriesController.class.getDeclaredMethod("retry", String.class));
    assertThat(QueryParameters.accepted(retry))
        .hasValueSatisfying(names -> assertThat(names).isEmpty());
  }

  @Test
  void suggestsTheClosestAcceptedName() {
    assertThat(QueryParameters.closest("pipline", RUNS)).hasValue("pipeline");
    assertThat(QueryParameters.closest("Limit", RUNS)).hasValue("limit");
    assertThat(QueryParameters.closest("statsu", RUNS)).hasValue("status");
    assertThat(QueryParameters.closest("verbose", RUNS)).isEmpty();
    assertThat(QueryParameters.closest("x", Set.of())).isEmpty();
  }
}
