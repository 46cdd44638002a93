package io.cohortflow.service.api;

import io.cohortflow.core.contract.Json;
import io.cohortflow.service.metrics.ServiceMetrics;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jetty's error handler, installed on the server: the answers Jetty gives before Javalin sees the
 * request (a malformed request line or URI, an unknown HTTP version, a URI or headers over the
 * limit, a body Jetty itself refuses) in the same JSON bodies as {@link Errors}, by path. Jetty's
 * default writes HTML naming itself.
 *
 * <p>When Jetty could not parse the request line there is no path (Jetty reports {@code
 * /badMessage} or {@code /badURI}); those answers use the Segments API's shape, the service's
 * default.
 */
final class JettyErrors implements Request.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(JettyErrors.class);

    /**
     * Jetty's reasons that are safe to pass on ("Multiple Content-Lengths", "No Host"): short words
     * only, so nothing from a stack or a class ever reaches a client.
     */
    private static final Pattern PLAIN_REASON = Pattern.compile("[A-Za-z0-9 =:'_-]{1,80}");

    private final ServiceMetrics metrics;
    private final long maxBodyBytes;
    private final int maxHeaderBytes;

    JettyErrors(ServiceMetrics metrics, long maxBodyBytes, int maxHeaderBytes) {
        this.metrics = metrics;
        this.maxBodyBytes = maxBodyBytes;
        this.maxHeaderBytes = maxHeaderBytes;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = response.getStatus();
        Throwable cause = (Throwable) request.getAttribute(ErrorHandler.ERROR_EXCEPTION);
        String reason = null;
        if (cause instanceof HttpException h) {
            status = h.getCode();
            reason = h.getReason();
        }
        if (status < 400) {
            status = 500;
        }
        response.setStatus(status);
        metrics.rejected(status);
        if (HttpStatus.hasNoBody(status) || "HEAD".equals(request.getMethod())) {
            callback.succeeded();
            return true;
        }
        String id = UUID.randomUUID().toString();
        if (cause instanceof HttpException || status < 500) {
            // The client's doing (a malformed or oversized request): not the service's error.
            LOG.debug("request refused by Jetty with {}: {}", status, reason, cause);
        } else {
            LOG.error("error {} answered by Jetty: {}", id, status, cause);
        }
        String path = path(request);
        String code = Errors.codeFor(status);
        String message = message(status, reason, id);
        Object body =
                CcsErrors.applies(path)
                        ? CcsErrors.body(
                                id,
                                status,
                                status == 400 ? "invalid_request" : code,
                                message,
                                status >= 500 ? "errorId " + id : null)
                        : Errors.body(status, code, message, List.of(), id);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(ErrorHandler.ERROR_CACHE_CONTROL);
        if (CcsErrors.applies(path)) {
            response.getHeaders().put("X-Request-Id", id);
        }
        response.write(true, ByteBuffer.wrap(Json.bytes(body)), callback);
        return true;
    }

    private static String path(Request request) {
        HttpURI uri = request.getHttpURI();
        return uri == null ? null : uri.getPath();
    }

    private String message(int status, String reason, String id) {
        return switch (status) {
            case 400 ->
                    "the request is not valid HTTP"
                            + (reason != null && PLAIN_REASON.matcher(reason).matches()
                                    ? ": " + reason
                                    : "");
            case 405 -> "this HTTP method is not allowed";
            case 408 -> "the request did not arrive in time";
            case 413 -> "the body is larger than the " + maxBodyBytes + " bytes allowed";
            case 414 -> "the request line is longer than the " + maxHeaderBytes + " bytes allowed";
            case 431 ->
                    "the request headers are larger than the " + maxHeaderBytes + " bytes allowed";
            case 505 -> "only HTTP/1.0 and HTTP/1.1 are served";
            default ->
                    status >= 500
                            ? "an internal error occurred; quote errorId "
                                    + id
                                    + " when reporting it"
                            : HttpStatus.getMessage(status);
        };
    }
}
