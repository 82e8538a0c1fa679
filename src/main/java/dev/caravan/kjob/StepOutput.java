package dev.caravan.kjob;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What is kept of a step's output, whatever the step prints: the first half of {@code maxBytes}
 * (the head) and the last half (the tail), with a marker line between them saying how many bytes
 * were dropped. The end is kept because that is where a failing step says why. Memory stays under
 * {@code maxBytes}: the head grows up to its half, the tail is a ring buffer of the other half,
 * allocated only once the head is full. Thread-safe: one thread writes, others may read.
 */
public final class StepOutput {

  private static final int READ_CHUNK = 64 * 1024;

  private final int headLimit;
  private final int tailLimit;
  private byte[] head;
  private int headLength;
  private byte[] tail;
  private int tailEnd;
  private boolean tailWrapped;
  private long total;
  private int headTaken;

  /**
   * @param maxBytes most bytes of output kept (positive); the marker line comes on top
   */
  public StepOutput(int maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
    }
    this.tailLimit = maxBytes / 2;
    this.headLimit = maxBytes - tailLimit;
    this.head = new byte[Math.min(headLimit, 8192)];
  }

  /** Reads until end of stream; blocks the calling thread. */
  public void drain(InputStream in) throws IOException {
    byte[] chunk = new byte[READ_CHUNK];
    int read;
    while ((read = in.read(chunk)) >= 0) {
      write(chunk, 0, read);
    }
  }

  public synchronized void write(byte[] bytes, int offset, int length) {
    total += length;
    int toHead = Math.min(length, headLimit - headLength);
    if (toHead > 0) {
      if (headLength + toHead > head.length) {
        head =
            Arrays.copyOf(
                head, Math.min(headLimit, Math.max(head.length * 2, headLength + toHead)));
      }
      System.arraycopy(bytes, offset, head, headLength, toHead);
      headLength += toHead;
    }
    int rest = length - Math.max(toHead, 0);
    if (rest <= 0 || tailLimit == 0) {
      return;
    }
    if (tail == null) {
      tail = new byte[tailLimit];
    }
    int from = offset + length - rest;
    if (rest >= tailLimit) {
      // only the last tailLimit bytes of this write survive
      System.arraycopy(bytes, from + rest - tailLimit, tail, 0, tailLimit);
      tailEnd = 0;
      tailWrapped = true;
      return;
    }
    int first = Math.min(rest, tailLimit - tailEnd);
    System.arraycopy(bytes, from, tail, tailEnd, first);
    System.arraycopy(bytes, from + first, tail, 0, rest - first);
    int end = tailEnd + rest;
    tailWrapped |= end >= tailLimit;
    tailEnd = end % tailLimit;
  }

  /** Bytes written so far, kept or not. */
  public synchronized long size() {
    return total;
  }

  /** Bytes written so far that are not kept. */
  public synchronized long dropped() {
    return Math.max(0, total - headLimit - tailLimit);
  }

  /**
   * The head written since the last call, up to its last complete character: the live part of the
   * output, a prefix of what {@link #text()} gives at the end. Empty once the head is full (the
   * tail changes until the step ends).
   */
  public synchronized String takeNew() {
    int end = completeCharacters(head, headLength);
    if (end <= headTaken) {
      return "";
    }
    String fresh = new String(head, headTaken, end - headTaken, StandardCharsets.UTF_8);
    headTaken = end;
    return fresh;
  }

  /** What is kept: the whole output, or its head, a marker line and its tail. */
  public synchronized String text() {
    byte[] end = tailBytes();
    long dropped = dropped();
    if (dropped == 0) {
      byte[] all = Arrays.copyOf(head, headLength + end.length);
      System.arraycopy(end, 0, all, headLength, end.length);
      return new String(all, StandardCharsets.UTF_8);
    }
    // cut at character boundaries on both sides of the gap
    int headEnd = completeCharacters(head, headLength);
    int tailStart = 0;
    while (tailStart < end.length && isContinuation(end[tailStart])) {
      tailStart++;
    }
    long notShown = dropped + (headLength - headEnd) + tailStart;
    String headText = new String(head, 0, headEnd, StandardCharsets.UTF_8);
    return headText
        + (headText.isEmpty() || headText.endsWith("\n") ? "" : "\n")
        + marker(notShown)
        + new String(end, tailStart, end.length - tailStart, StandardCharsets.UTF_8);
  }

  /** The marker line that stands for dropped output. */
  public static String marker(long droppedBytes) {
    return "[caravan: " + droppedBytes + " bytes of output dropped]\n";
  }

  private byte[] tailBytes() {
    if (tail == null) {
      return new byte[0];
    }
    if (!tailWrapped) {
      return Arrays.copyOf(tail, tailEnd);
    }
    byte[] ordered = new byte[tailLimit];
    System.arraycopy(tail, tailEnd, ordered, 0, tailLimit - tailEnd);
    System.arraycopy(tail, 0, ordered, tailLimit - tailEnd, tailEnd);
    return ordered;
  }

  /**
   * The length of the longest prefix of {@code bytes[0, length)} that ends on a whole character.
   */
  static int completeCharacters(byte[] bytes, int length) {
    // walk back over at most 3 continuation bytes to the start of the last character
    int start = length - 1;
    while (start >= 0 && length - start <= 3 && isContinuation(bytes[start])) {
      start--;
    }
    if (start < 0) {
      return length;
    }
    int lead = bytes[start] & 0xff;
    int needed;
    if (lead < 0x80 || lead >= 0xf8) {
      needed = 1;
    } else if (lead >= 0xf0) {
      needed = 4;
    } else if (lead >= 0xe0) {
      needed = 3;
    } else if (lead >= 0xc0) {
      needed = 2;
    } else {
      needed = 1;
    }
    return length - start >= needed ? length : start;
  }

  private static boolean isContinuation(byte b) {
    return (b & 0xc0) == 0x80;
  }
}
