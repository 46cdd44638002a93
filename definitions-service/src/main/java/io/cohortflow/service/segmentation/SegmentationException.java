package io.cohortflow.service.segmentation;

import org.jspecify.annotations.Nullable;

/**
 * A segmentation-API failure the caller can act on: the HTTP status, a stable {@code type} and, in
 * {@code cause}, the detail (which field, which event, which schema rule). The HTTP layer writes it
 * as the spec's {@code HttpErrorResponse}.
 */
public final class SegmentationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;
    private final @Nullable String detail;

    public SegmentationException(int status, String type, String message, @Nullable String detail) {
        super(message);
        this.status = status;
        this.type = type;
        this.detail = detail;
    }

    public static SegmentationException badRequest(String type, String message, String detail) {
        return new SegmentationException(400, type, message, detail);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public @Nullable String detail() {
        return detail;
    }
}
