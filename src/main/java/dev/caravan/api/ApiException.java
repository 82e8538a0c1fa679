package dev.caravan.api;

import org.springframework.http.HttpStatus;

/** An API request that cannot be served, with its status and the words of its JSON error. */
class ApiException extends RuntimeException {

  private final HttpStatus status;

  ApiException(HttpStatus status, String detail) {
    super(detail);
    this.status = status;
  }

  HttpStatus status() {
    return status;
  }

  static ApiException notFound(String what) {
    return new ApiException(HttpStatus.NOT_FOUND, what + " not found");
  }

  static ApiException badRequest(String detail) {
    return new ApiException(HttpStatus.BAD_REQUEST, detail);
  }
}
