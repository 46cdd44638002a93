package io.cohortflow.service.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.service.Failures;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.store.ConflictException;
import io.cohortflow.service.store.StoreUnavailableException;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.validation.ValidationException;
import jakarta.servlet.ServletInputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become HTTP answers. Every error has the same body:
 *
 * <pre>{"errorCode": "...", "errorDescription": "...", "errorId": "uuid", "status": 400,
 *  "errors": [{"severity", "code", "pointer", "message"}]}</pre>
 *
 * ({@code errors} only when there are structured details). Descriptions are our own words: an
 * exception's message (the JSON reader's, Kafka's, a library's) is logged, never sent, since it
 * names classes and settings a client can neither act on nor should see. What Jetty refuses before
 * Javalin runs is answered by {@link JettyErrors} in the same shapes.
 */
public final class Errors {
    private static final Logger LOG = LoggerFactory.getLogger(Errors.class);

    /**
     * The most of a refused request's unread body read and dropped before the answer is written. A
     * server that closes a connection with bytes still unread resets it, and a client still sending
     * its body then sees the reset instead of the answer (a 413 for a body of 300 kB did, now and
     * then). Bodies declared larger are not read: the connection is closed on them as before.
     */
    static final long DRAIN_BYTES = 1 << 20;

    private Errors() {}

    /**
     * Maps every failure a handler can raise; {@code maxBodyBytes} is quoted in the 413's
     * description.
     */
    public static void register(JavalinConfig config, long maxBodyBytes) {
        config.routes.exception(ServiceException.class, (e, ctx) -> write(ctx, e));
        config.routes.exception(
                ConflictException.class,
                (e, ctx) -> write(ctx, 409, "conflict", e.getMessage(), List.of()));
        config.routes.exception(
                StoreUnavailableException.class,
                (e, ctx) -> {
                    ctx.header("Retry-After", "1");
                    write(ctx, 503, "store_unavailable", e.getMessage(), List.of());
                });
        config.routes.exception(
                ValidationException.class,
                (e, ctx) -> {
                    var first = e.getErrors().entrySet().iterator().next();
                    String field = first.getKey();
                    String msg =
                            first.getValue().isEmpty()
                                    ? "invalid"
                                    : first.getValue().get(0).getMessage();
                    write(ctx, 400, "invalid_parameter", field + ": " + msg, List.of());
                });
        config.routes.exception(
                JsonProcessingException.class,
                (e, ctx) -> write(ctx, 400, "malformed_json", Bodies.describe(e), List.of()));
        config.routes.exception(
                HttpResponseException.class, (e, ctx) -> javalin(ctx, e, maxBodyBytes));
        config.routes.exception(
                CompletionException.class,
                (e, ctx) -> {
                    dispatch(ctx, Failures.cause(e), maxBodyBytes);
                });
        config.routes.exception(Exception.class, (e, ctx) -> internal(ctx, e));
        // Javalin's own 404 for unknown paths and 405s arrive here as statuses.
        config.routes.error(
                404,
                ctx -> {
                    if (ctx.result() == null || ctx.result().isEmpty()) {
                        write(
                                ctx,
                                404,
                                "not_found",
                                "no such endpoint: " + ctx.method() + " " + ctx.path(),
                                List.of());
                    }
                });
    }

    /**
     * Javalin's own answers (404, 405, 413, ...): our description where we have one, its short
     * reason phrase otherwise.
     */
    private static void javalin(Context ctx, HttpResponseException e, long maxBodyBytes) {
        int status = e.getStatus();
        if (status == 405) {
            // RFC 9110 (15.5.6): a 405 must say which methods the path has. Javalin found them
            // among the registered routes to decide on the 405, and hands them over as its one
            // detail, already in Allow's form ("GET, POST").
            ctx.header("Allow", String.join(", ", e.getDetails().values()));
        }
        String message =
                switch (status) {
                    case 405 -> "method " + ctx.method() + " is not allowed on " + ctx.path();
                    case 413 -> "the body is larger than the " + maxBodyBytes + " bytes allowed";
                    default -> e.getMessage();
                };
        write(ctx, status, codeFor(status), message, List.of());
    }

    private static void dispatch(Context ctx, Throwable c, long maxBodyBytes) {
        if (c instanceof ServiceException s) {
            write(ctx, s);
        } else if (c instanceof ConflictException) {
            write(ctx, 409, "conflict", c.getMessage(), List.of());
        } else if (c instanceof StoreUnavailableException) {
            ctx.header("Retry-After", "1");
            write(ctx, 503, "store_unavailable", c.getMessage(), List.of());
        } else if (c instanceof HttpResponseException h) {
            javalin(ctx, h, maxBodyBytes);
        } else if (c instanceof JsonProcessingException j) {
            write(ctx, 400, "malformed_json", Bodies.describe(j), List.of());
        } else {
            internal(ctx, c);
        }
    }

    /**
     * A failure of the one family, in the shape of the API called; a 429, 503 or 504 says when to
     * retry (a refusal of the limits says its own; an estimate's busy subtasks, a second).
     */
    static void write(Context ctx, ServiceException e) {
        if ((e.status() == 429 || e.status() == 503 || e.status() == 504)
                && ctx.res().getHeader("Retry-After") == null) {
            ctx.header("Retry-After", "1");
        }
        if (e.detail() != null && CcsErrors.applies(ctx)) {
            drain(ctx);
            CcsErrors.write(ctx, e.status(), e.code(), e.getMessage(), e.detail());
            return;
        }
        write(ctx, e.status(), e.code(), e.getMessage(), e.details());
    }

    private static void internal(Context ctx, Throwable e) {
        String id = UUID.randomUUID().toString();
        LOG.error("internal error {} on {} {}", id, ctx.method(), ctx.path(), e);
        writeWithId(
                ctx,
                500,
                "internal_error",
                "an internal error occurred; quote errorId " + id + " when reporting it",
                List.of(),
                id);
    }

    static String codeFor(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 413 -> "body_too_large";
            case 414 -> "uri_too_long";
            case 415 -> "unsupported_media_type";
            case 429 -> "too_many_requests";
            case 431 -> "headers_too_large";
            case 505 -> "http_version_not_supported";
            default -> status >= 500 ? "internal_error" : "error";
        };
    }

    public static void write(
            Context ctx,
            int status,
            String code,
            String message,
            List<Map<String, Object>> details) {
        writeWithId(ctx, status, code, message, details, UUID.randomUUID().toString());
    }

    private static void writeWithId(
            Context ctx,
            int status,
            String code,
            String message,
            List<Map<String, Object>> details,
            String id) {
        drain(ctx);
        if (CcsErrors.applies(ctx)) {
            // The segmentation and schemas APIs answer their spec's shape, whatever failed.
            CcsErrors.write(
                    ctx,
                    status,
                    code,
                    message,
                    details.isEmpty()
                            ? (status >= 500 ? "errorId " + id : null)
                            : details.toString());
            return;
        }
        ctx.status(status).json(body(status, code, message, details, id));
    }

    /**
     * Reads what is left of the request's body, up to {@link #DRAIN_BYTES}, so that the client
     * reads the answer (see there). Nothing to read for a body the handler read whole.
     */
    private static void drain(Context ctx) {
        if (ctx.req().getContentLengthLong() > DRAIN_BYTES) {
            return;
        }
        try {
            ServletInputStream in = ctx.req().getInputStream();
            if (in.isFinished()) {
                return; // read whole by the handler, or none sent: most refusals
            }
            byte[] dropped = new byte[8192];
            for (long left = DRAIN_BYTES; left > 0; ) {
                int n = in.read(dropped, 0, (int) Math.min(dropped.length, left));
                if (n < 0) {
                    return;
                }
                left -= n;
            }
        } catch (IOException | IllegalStateException e) {
            // The client went away, or the body was read as text: nothing left to drain here.
        }
    }

    /** The Segments API's body alone, for answers written where there is no Javalin context. */
    static ObjectNode body(
            int status, String code, String message, List<Map<String, Object>> details, String id) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("errorCode", code);
        body.put("errorDescription", message);
        body.put("errorId", id);
        body.put("status", status);
        if (!details.isEmpty()) {
            ArrayNode arr = body.putArray("errors");
            details.forEach(d -> arr.add(Json.MAPPER.valueToTree(d)));
        }
        return body;
    }
}
