package dev.caravan.kjob.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Collects a process's output up to a cap, counting what it had to drop. */
final class OutputBuffer {

  private final int maxBytes;
  private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
  private long dropped;

  OutputBuffer(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Reads until end of stream; blocks the calling thread. */
  void drain(InputStream in) throws IOException {
    byte[] chunk = new byte[8192];
    int read;
    while ((read = in.read(chunk)) >= 0) {
      append(chunk, read);
    }
  }

  private synchronized void append(byte[] chunk, int length) {
    int room = (int) Math.min(length, maxBytes - (long) kept.size());
    if (room > 0) {
      kept.write(chunk, 0, room);
    }
    dropped += length - Math.max(room, 0);
  }

  synchronized String text() {
    String text = kept.toString(StandardCharsets.UTF_8);
    return dropped == 0 ? text : text + "\n[caravan: " + dropped + " bytes of output dropped]\n";
  }
}
