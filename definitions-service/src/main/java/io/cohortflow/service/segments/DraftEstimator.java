package io.cohortflow.service.segments;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.estimate.AudienceEstimate;
import io.cohortflow.service.ServiceException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/** Estimates a draft's audience over the users the job holds (POST /segments/estimate). */
public interface DraftEstimator {
    /**
     * @param evaluatedAt the instant users were evaluated at (the job's watermark), null when the
     *     job had no watermark yet (each user was evaluated at their own latest event)
     * @param subtasks the job's subtasks that sampled their users
     * @param took from the request to the last subtask's answer
     */
    record Estimate(
            AudienceEstimate estimate,
            @Nullable Instant evaluatedAt,
            int subtasks,
            Duration took) {}

    /**
     * @param definition a draft validated for the workspace
     * @param sample users to evaluate, or null for the configured default
     */
    CompletableFuture<Estimate> estimate(
            String workspace, JsonNode definition, @Nullable Integer sample);

    /** A service without the segmentation job (the Segments API alone) cannot estimate. */
    DraftEstimator NONE =
            (workspace, definition, sample) ->
                    CompletableFuture.failedFuture(
                            new ServiceException(
                                    503,
                                    "estimate_unavailable",
                                    "this service runs without the segmentation job; estimates"
                                            + " need it"));
}
