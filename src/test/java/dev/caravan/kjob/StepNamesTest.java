package dev.caravan.kjob;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StepNamesTest {

  @Test
  void foldsAnyNameIntoDns1123Form() {
    assertThat(StepNames.fold("Run Unit_Tests (Java 17)!", 63)).isEqualTo("run-unit-tests-java-17");
    assertThat(StepNames.fold("---", 63)).isEqualTo("step");
    assertThat(StepNames.fold("a".repeat(40) + "-b", 30)).isEqualTo("a".repeat(30));
  }

  @Test
  void jobNamesAreDeterministicAndDistinguishRunStepIndexAndAttempt() {
    String name = StepNames.jobName("run-1", "Unit Tests", "0", 1);

    assertThat(name).isEqualTo(StepNames.jobName("run-1", "Unit Tests", "0", 1));
    assertThat(name).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?").startsWith("unit-tests-");
    assertThat(name.length()).isLessThanOrEqualTo(52);
    assertThat(name)
        .isNotEqualTo(StepNames.jobName("run-2", "Unit Tests", "0", 1))
        .isNotEqualTo(StepNames.jobName("run-1", "unit tests", "0", 1))
        .isNotEqualTo(StepNames.jobName("run-1", "Unit Tests", "1", 1))
        .isNotEqualTo(StepNames.jobName("run-1", "Unit Tests", "0", 2));
  }

  @Test
  void longStepNamesStillGiveValidJobNames() {
    String name = StepNames.jobName("r".repeat(200), "s".repeat(200), "999", 99);

    assertThat(name.length()).isLessThanOrEqualTo(52);
    assertThat(name).endsWith("-99");
  }
}
