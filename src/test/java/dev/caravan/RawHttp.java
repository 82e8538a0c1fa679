package dev.caravan;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests whose exact bytes matter: {@code java.net.http}
 * normalizes or refuses request targets such as {@code /api;/x}, {@code //api} or {@code /./api},
 * and always sends its own {@code Host}.
 */
public final class RawHttp {

  private RawHttp() {}

  /** A parsed answer: status, headers (names in lower case, last one wins) and body. */
  public record Answer(int status, Map<String, String> headers, String body) {

    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    @Override
    public String toString() {
      return status + " " + headers + " " + body;
    }
  }

  /**
   * Sends {@code method target HTTP/1.1} with the given header lines (each {@code "Name: value"}),
   * {@code Host: 127.0.0.1:<port>} unless a {@code Host} line is given, the {@code Content-Length}
   * of the body (0 for unsafe methods without one) and {@code Connection: close}, then reads the
   * answer to the end.
   */
  public static Answer send(int port, String method, String target, String... headerLines) {
    return sendBody(port, method, target, null, headerLines);
  }

  /** As {@link #send(int, String, String, String...)}, with a UTF-8 body (none if null). */
  public static Answer sendBody(
      int port, String method, String target, String body, String... headerLines) {
    byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    StringBuilder request = new StringBuilder(method + " " + target + " HTTP/1.1\r\n");
    boolean host = false;
    for (String line : headerLines) {
      host |= line.regionMatches(true, 0, "Host:", 0, 5);
      request.append(line).append("\r\n");
    }
    if (!host) {
      request.append("Host: 127.0.0.1:").append(port).append("\r\n");
    }
    if (body != null || !method.equals("GET") && !method.equals("HEAD")) {
      request.append("Content-Length: ").append(content.length).append("\r\n");
    }
    request.append("Connection: close\r\n\r\n");
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(15_000);
      socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().write(content);
      socket.getOutputStream().flush();
      return parse(socket.getInputStream().readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + target, e);
    }
  }

  /**
   * Reads an answer's status line and headers, up to and with the blank line, leaving the body on
   * the stream (a stream that stays open, such as Server-Sent Events); less if the stream ends.
   */
  public static String readHead(InputStream answer) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int next = answer.read();
      if (next < 0) {
        break;
      }
      head.append((char) next);
    }
    return head.toString();
  }

  /** A port of 127.0.0.1 that nothing listens on now: for a server the test starts, or none. */
  public static int freePort() throws IOException {
    try (ServerSocket free = new ServerSocket(0)) {
      return free.getLocalPort();
    }
  }

  private static Answer parse(byte[] bytes) {
    // one char per byte until the body is unchunked; the body is UTF-8
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      throw new IllegalStateException("no complete answer: " + text);
    }
    String[] lines = text.substring(0, end).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(
          lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
          lines[i].substring(colon + 1).trim());
    }
    String body = text.substring(end + 4);
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      body = unchunk(body);
    }
    return new Answer(
        status,
        headers,
        new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
  }

  private static String unchunk(String chunked) {
    StringBuilder body = new StringBuilder();
    int at = 0;
    while (true) {
      int lineEnd = chunked.indexOf("\r\n", at);
      int size = Integer.parseInt(chunked.substring(at, lineEnd).split(";")[0].trim(), 16);
      if (size == 0) {
        return body.toString();
      }
      body.append(chunked, lineEnd + 2, lineEnd + 2 + size);
      at = lineEnd + 2 + size + 2;
    }
  }
}
