package dev.caravan.app;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.web.error.ErrorAttributeOptions;
import org.springframework.boot.web.servlet.error.ErrorAttributes;
import org.springframework.boot.web.servlet.error.ErrorController;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.context.request.ServletWebRequest;

/**
 * Spring Boot's error page ({@code /error}), replacing its {@code BasicErrorController}: every
 * error answer is {@code {"error": ..., "detail": ...}} as {@code application/json}, whatever the
 * request's {@code Accept} says (Spring Boot's controller answers a Whitelabel HTML page to {@code
 * text/html} and an empty 406 to {@code application/xml}).
 */
@Controller
class JsonErrorController implements ErrorController {

  private final ErrorAttributes errorAttributes;

  JsonErrorController(ErrorAttributes errorAttributes) {
    this.errorAttributes = errorAttributes;
  }

  @RequestMapping("${server.error.path:${error.path:/error}}")
  ResponseEntity<String> error(HttpServletRequest request) {
    if (!(request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE) instanceof Integer status)) {
      // /error asked for directly, not an error dispatch
      return answer(404, JsonErrors.phrase(404), JsonErrors.detail(404));
    }
    var attributes =
        errorAttributes.getErrorAttributes(
            new ServletWebRequest(request),
            ErrorAttributeOptions.defaults().including(ErrorAttributeOptions.Include.MESSAGE));
    return answer(
        status, String.valueOf(attributes.get("error")), String.valueOf(attributes.get("detail")));
  }

  private static ResponseEntity<String> answer(int status, String error, String detail) {
    // a preset content type is written as is: no negotiation against Accept, so no 406
    return ResponseEntity.status(status)
        .contentType(MediaType.APPLICATION_JSON)
        .body(JsonErrors.body(error, detail));
  }
}
