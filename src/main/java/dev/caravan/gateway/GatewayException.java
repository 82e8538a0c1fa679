package dev.caravan.gateway;

/** A request a gateway refuses, with the HTTP status and the words of its JSON error. */
public class GatewayException extends RuntimeException {

  private final int status;
  private final String error;

  public GatewayException(int status, String error, String detail) {
    super(detail);
    this.status = status;
    this.error = error;
  }

  public int getStatus() {
    return status;
  }

  public String getError() {
    return error;
  }

  public static GatewayException unauthorized(String detail) {
    return new GatewayException(401, "unauthorized", detail);
  }

  public static GatewayException badRequest(String detail) {
    return new GatewayException(400, "bad request", detail);
  }

  public static GatewayException notConfigured(String setting) {
    return new GatewayException(
        503, "gateway not configured", "this gateway needs " + setting + " to be set");
  }
}
