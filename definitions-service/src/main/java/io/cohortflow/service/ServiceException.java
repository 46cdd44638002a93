package io.cohortflow.service;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A failure the caller can act on, with its HTTP status and a stable machine-readable code: the one
 * family of the service's errors. Services throw it without knowing HTTP; {@code Errors} maps it in
 * one place to the body of the API that was called (the Segments API's {@code errorCode} body, or
 * the segmentation and schemas APIs' {@code error.type}, where {@link #detail} is the spec's {@code
 * cause}).
 *
 * @see io.cohortflow.service.api.Errors
 */
public final class ServiceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final transient List<Map<String, Object>> details;
    private final @Nullable String detail;

    public ServiceException(
            int status, String code, String message, List<Map<String, Object>> details) {
        this(status, code, message, details, null);
    }

    private ServiceException(
            int status,
            String code,
            String message,
            List<Map<String, Object>> details,
            @Nullable String detail) {
        super(message);
        this.status = status;
        this.code = code;
        this.details = List.copyOf(details);
        this.detail = detail;
    }

    /** A failure with one line of detail: which field, which event, which schema rule. */
    public static ServiceException withDetail(
            int status, String code, String message, @Nullable String detail) {
        return new ServiceException(status, code, message, List.of(), detail);
    }

    public static ServiceException badRequest(String code, String message, String detail) {
        return withDetail(400, code, message, detail);
    }

    public ServiceException(int status, String code, String message) {
        this(status, code, message, List.of());
    }

    public static ServiceException badRequest(String code, String message) {
        return new ServiceException(400, code, message);
    }

    public static ServiceException notFound(String what) {
        return new ServiceException(404, "not_found", what + " was not found");
    }

    public static ServiceException forbidden(String message) {
        return new ServiceException(403, "forbidden", message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** The one line of detail, if any (the segmentation API's {@code cause}). */
    public @Nullable String detail() {
        return detail;
    }

    /** Structured problems, e.g. one per invalid field or definition node, with a pointer. */
    public List<Map<String, Object>> details() {
        return details;
    }
}
