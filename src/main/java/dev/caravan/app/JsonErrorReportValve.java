package dev.caravan.app;

import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.apache.tomcat.util.ExceptionUtils;

/**
 * Tomcat's error report in Caravan's JSON shape instead of its HTML page. Tomcat answers some
 * requests itself before any filter or servlet runs (an encoded {@code /} or a NUL in the path,
 * headers too large or too many, a malformed request line, an unsupported HTTP version); its Host's
 * error report valve writes those answers. Installed through {@code
 * StandardHost.setErrorReportValveClass} (so public, with a public constructor). Answers that
 * already have a body (Spring's error page) are left alone.
 */
public class JsonErrorReportValve extends ErrorReportValve {

  @Override
  protected void report(Request request, Response response, Throwable throwable) {
    int status = response.getStatus();
    if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
      return;
    }
    AtomicBoolean ioAllowed = new AtomicBoolean(true);
    response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
    if (!ioAllowed.get()) {
      return;
    }
    try {
      response.setContentType("application/json");
      response.setCharacterEncoding("UTF-8");
      Writer writer = response.getReporter();
      if (writer != null) {
        writer.write(JsonErrors.body(JsonErrors.phrase(status), detail(status)));
        response.finishResponse();
      }
    } catch (IOException | IllegalStateException e) {
      // the client is gone or the answer was committed meanwhile: nothing more to say
    } catch (Throwable t) {
      ExceptionUtils.handleThrowable(t);
    }
  }

  private static String detail(int status) {
    return switch (status) {
      case 400 ->
          "the request could not be parsed: check the path (no encoded '/' or '\\', no NUL),"
              + " the request line, and the size and number of headers";
      case 505 -> "send HTTP/1.1";
      default -> JsonErrors.detail(status);
    };
  }
}
