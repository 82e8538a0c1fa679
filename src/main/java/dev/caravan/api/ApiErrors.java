package dev.caravan.api;

import java.util.Locale;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;

/** Errors of the API as {@code {"error": ..., "detail": ...}}. */
@RestControllerAdvice(basePackageClasses = ApiErrors.class)
class ApiErrors {

  @ExceptionHandler(ApiException.class)
  ResponseEntity<Map<String, String>> refused(ApiException e) {
    return error(e.status(), e.getMessage());
  }

  @ExceptionHandler({
    MethodArgumentTypeMismatchException.class,
    MissingServletRequestParameterException.class
  })
  ResponseEntity<Map<String, String>> badParameter(Exception e) {
    String detail =
        e instanceof MethodArgumentTypeMismatchException mismatch
            ? "invalid value for parameter " + mismatch.getName()
            : e.getMessage();
    return error(HttpStatus.BAD_REQUEST, detail);
  }

  static ResponseEntity<Map<String, String>> error(HttpStatus status, String detail) {
    return ResponseEntity.status(status)
        .contentType(MediaType.APPLICATION_JSON)
        .body(Map.of("error", status.getReasonPhrase().toLowerCase(Locale.ROOT), "detail", detail));
  }
}
