package io.cohortflow.service.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.contract.Json;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The error body of the segmentation API and the event-schemas API, the spec's {@code
 * HttpErrorResponse}:
 *
 * <pre>{"request_id": "...", "error": {"type": "invalid_event", "status_code": 400,
 *  "status": "Bad Request", "code": 1002, "message": "...", "docs": "...", "cause": "..."}}</pre>
 *
 * {@link Errors} hands every failure under {@code /ccs/} and {@code /schemas} here, so those paths
 * answer this shape whatever failed (a bad parameter, JSON, a 404, an internal error), while the
 * Segments API keeps its own.
 */
public final class CcsErrors {
    public static final String REQUEST_ID = "cohortflow.requestId";
    static final String DOCS =
            "https://github.com/cohortflow/cohortflow/blob/main/docs/segmentation.md#";

    /** Stable numeric codes of the {@code type}s; a client may switch on either. */
    static final Map<String, Integer> CODES =
            Map.ofEntries(
                    Map.entry("invalid_request", 1000),
                    Map.entry("invalid_user_identifier", 1001),
                    Map.entry("invalid_event", 1002),
                    Map.entry("too_many_events", 1003),
                    Map.entry("schema_violation", 1004),
                    Map.entry("invalid_schema", 1005),
                    Map.entry("invalid_parameter", 1006),
                    Map.entry("unknown_parameter", 1007),
                    Map.entry("malformed_json", 1008),
                    Map.entry("body_too_large", 1009),
                    Map.entry("bad_request", 1011),
                    Map.entry("too_many_aliases", 1012),
                    Map.entry("missing_api_key", 2001),
                    Map.entry("invalid_api_key", 2002),
                    Map.entry("forbidden", 3001),
                    Map.entry("not_found", 4001),
                    Map.entry("user_not_found", 4002),
                    Map.entry("unknown_segment", 4003),
                    Map.entry("too_many_schemas", 4091),
                    Map.entry("too_many_bindings", 4092),
                    Map.entry("method_not_allowed", 4051),
                    Map.entry("uri_too_long", 4141),
                    Map.entry("headers_too_large", 4311),
                    Map.entry("too_many_requests", 4291),
                    Map.entry("internal_error", 5001),
                    Map.entry("processing_failed", 5002),
                    Map.entry("reply_too_large", 5003),
                    Map.entry("segmentation_unavailable", 5031),
                    Map.entry("definitions_loading", 5032),
                    Map.entry("store_unavailable", 5033),
                    Map.entry("segmentation_timeout", 5041),
                    Map.entry("http_version_not_supported", 5051));

    private CcsErrors() {}

    static boolean applies(Context ctx) {
        return applies(ctx.path());
    }

    /** Whether a request to {@code path} is answered in this shape. */
    static boolean applies(@Nullable String path) {
        return path != null
                && (path.startsWith("/ccs/")
                        || path.equals("/schemas")
                        || path.startsWith("/schemas/"));
    }

    /** The request id of this request, made on first use. */
    public static String requestId(Context ctx) {
        String id = ctx.attribute(REQUEST_ID);
        if (id == null) {
            id = UUID.randomUUID().toString();
            ctx.attribute(REQUEST_ID, id);
            ctx.header("X-Request-Id", id);
        }
        return id;
    }

    static void write(
            Context ctx, int status, String type, String message, @Nullable String cause) {
        ctx.status(status).json(body(requestId(ctx), status, type, message, cause));
    }

    /** The body alone, for answers written where there is no Javalin context (Jetty's). */
    static ObjectNode body(
            String requestId, int status, String type, String message, @Nullable String cause) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("request_id", requestId);
        ObjectNode error = body.putObject("error");
        error.put("type", type);
        error.put("status_code", status);
        error.put("status", HttpStatus.forStatus(status).getMessage());
        error.put("code", CODES.getOrDefault(type, status * 10));
        error.put("message", message);
        error.put("docs", DOCS + "errors");
        if (cause != null) {
            error.put("cause", cause);
        }
        return body;
    }
}
