package dev.caravan.store;

import java.security.SecureRandom;
import java.util.UUID;

/**
 * Ids in the UUID version 7 layout (RFC 9562): 48 bits of Unix milliseconds first, then random
 * bits. Rows keyed by them are inserted at the end of the key's index instead of at a random place
 * in it, so a commit rewrites the last index page rather than one page per new row.
 */
public final class TimeOrderedIds {

  private static final SecureRandom RANDOM = new SecureRandom();

  private TimeOrderedIds() {}

  public static String next() {
    byte[] random = new byte[10];
    RANDOM.nextBytes(random);
    long millis = System.currentTimeMillis();
    long high = (millis << 16) | 0x7000L | ((random[0] & 0x0fL) << 8) | (random[1] & 0xffL);
    long low = 0x8000_0000_0000_0000L | ((random[2] & 0x3fL) << 56);
    for (int i = 3; i < 10; i++) {
      low |= (random[i] & 0xffL) << (8 * (9 - i));
    }
    return new UUID(high, low).toString();
  }
}
