package dev.caravan.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class TimeOrderedIdsTest {

  @Test
  void idsAreVersionSevenUuidsWithTheCurrentMillisecondsFirst() {
    long before = System.currentTimeMillis();
    UUID id = UUID.fromString(TimeOrderedIds.next());
    long after = System.currentTimeMillis();

    assertThat(id.version()).isEqualTo(7);
    assertThat(id.variant()).isEqualTo(2);
    assertThat(id.getMostSignificantBits() >>> 16).isBetween(before, after);
  }

  @Test
  void idsOfLaterMillisecondsSortAfterEarlierOnesAndNoneRepeats() throws InterruptedException {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(TimeOrderedIds.next());
      Thread.sleep(2);
    }
    assertThat(ids).isSorted();

    HashSet<String> many = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      many.add(TimeOrderedIds.next());
    }
    assertThat(many).hasSize(10_000);
  }
}
