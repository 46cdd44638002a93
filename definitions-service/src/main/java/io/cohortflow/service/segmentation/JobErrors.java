package io.cohortflow.service.segmentation;

import io.cohortflow.core.contract.EstimatePart;
import io.cohortflow.core.contract.ReplyRecord;
import io.cohortflow.service.Failures;
import io.cohortflow.service.ServiceException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the API answers when the job cannot serve: its error replies, no reply at all, or a broker
 * that failed before the job was asked. One place for these rules, since segmentation, the user
 * endpoints ({@link Users}) and draft estimates ({@link Estimates}) all reach the job the same way
 * and must fail the same way.
 */
final class JobErrors {
    private static final Logger LOG = LoggerFactory.getLogger(JobErrors.class);

    private JobErrors() {}

    /** The job's error reply as the API answers it. */
    static ServiceException failure(ReplyRecord.Error e) {
        int status = httpStatus(e.code());
        return ServiceException.withDetail(
                status,
                e.code(),
                status == 503 ? "segmentation is not available yet: " + e.message() : e.message(),
                e.message());
    }

    /** The HTTP status of the job's answer: the job says what happened, the API what it means. */
    static int httpStatus(String code) {
        return switch (code == null ? "" : code) {
            case ReplyRecord.INVALID_REQUEST -> 400;
            case ReplyRecord.DEFINITIONS_LOADING -> 503;
            case ReplyRecord.UNKNOWN_SEGMENT -> 404;
            case EstimatePart.BUSY -> 429;
            default -> 500;
        };
    }

    /** A failure to reach the job, as the API answers it. */
    static RuntimeException translate(Throwable error) {
        Throwable c = Failures.cause(error);
        if (c instanceof ServiceException s) {
            return s;
        }
        if (c instanceof JobClient.NoReply n) {
            // NoReply's message is ours; its cause (a Kafka or timeout exception) is only logged.
            if (n.getCause() != null) {
                LOG.debug("no reply from the segmentation job", n.getCause());
            }
            return n.jobSilent()
                    ? ServiceException.withDetail(
                            503, "segmentation_unavailable", n.getMessage(), "no reply")
                    : ServiceException.withDetail(
                            504, "segmentation_timeout", n.getMessage(), "no reply in time");
        }
        if (c instanceof JobClient.UnreadableReply u) {
            return u; // the events were applied: a 500 (logged with its id), not "retry"
        }
        return unavailable("segmentation failed", c);
    }

    /**
     * A failure before the job was asked (an alias binding not written, say): {@code what} failed,
     * and the client may retry.
     */
    static ServiceException unavailable(String what, Throwable e) {
        // The job was never asked, so this is not the job's timeout (504): the system cannot
        // serve, 503.
        return unavailable(what + "; retry shortly", e, "the broker did not answer in time");
    }

    /**
     * A 503 {@code segmentation_unavailable} saying {@code message} for a write to Kafka that
     * failed with {@code e}, its cause {@code timedOut} when it was not confirmed in time (the
     * broker unreachable otherwise); a {@link ServiceException} among the causes stands as it is.
     */
    static ServiceException unavailable(String message, Throwable e, String timedOut) {
        Throwable c = Failures.cause(e);
        if (c instanceof ServiceException s) {
            return s;
        }
        // What failed is logged; the client is told only what it can act on.
        LOG.warn("{}", message, c);
        return ServiceException.withDetail(
                503,
                "segmentation_unavailable",
                message,
                c instanceof TimeoutException ? timedOut : "the broker could not be reached");
    }
}
