package dev.caravan.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * The API's streams (logs, followed or not, and Server-Sent Events) over {@code java.net.http}: a
 * command blocked on one ends when its thread is interrupted. Built by {@link ApiClient} for the
 * commands that stream only.
 */
final class ApiStreams {

  private final ApiClient api;
  private final String token;
  private final HttpClient http;

  ApiStreams(ApiClient api, String token) {
    this.api = api;
    this.token = token;
    HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(ApiClient.CONNECT_TIMEOUT);
    if ("http".equals(api.server().getScheme())) {
      // never used over plain HTTP, and the default one reads the JDK's whole trust store first
      http.sslContext(withoutTls());
    }
    this.http = http.build();
  }

  /** An SSL context that trusts nobody: for a client that speaks plain HTTP only. */
  private static SSLContext withoutTls() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(new KeyManager[0], new TrustManager[0], null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK offers no TLS context", e);
    }
  }

  /** A 2xx answer as a stream of this type, from after an event id if one is given. */
  InputStream open(URI uri, String accept, String lastEventId, String path) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", accept).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId);
    }
    HttpResponse<InputStream> response = exchange(request);
    if (response.statusCode() / 100 != 2) {
      String body;
      try {
        body = ApiClient.text(response.body());
      } catch (IOException e) {
        body = "";
      }
      throw api.error(response.statusCode(), body, path);
    }
    return response.body();
  }

  /** Sends the request; a server that cannot be reached, or an interrupt, ends the command. */
  private HttpResponse<InputStream> exchange(HttpRequest.Builder request) {
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpConnectTimeoutException e) {
      throw api.unreachable(ApiClient.CONNECT_FAILED);
    } catch (IOException e) {
      throw api.unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure(ExitCodes.FAILURE, "interrupted");
    }
  }
}
