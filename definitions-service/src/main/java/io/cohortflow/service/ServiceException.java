package io.cohortflow.service;

import java.util.List;
import java.util.Map;

/**
 * A failure the caller can act on, with its HTTP status and a stable machine-readable code.
 * Services throw it without knowing HTTP; the app maps it in one place to the error body.
 *
 * @see io.cohortflow.service.api.Errors
 */
public final class ServiceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final transient List<Map<String, Object>> details;

    public ServiceException(
            int status, String code, String message, List<Map<String, Object>> details) {
        super(message);
        this.status = status;
        this.code = code;
        this.details = List.copyOf(details);
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

    /** Structured problems, e.g. one per invalid field or definition node, with a pointer. */
    public List<Map<String, Object>> details() {
        return details;
    }
}
