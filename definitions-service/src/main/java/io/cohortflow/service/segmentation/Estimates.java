package io.cohortflow.service.segmentation;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.EstimatePart;
import io.cohortflow.core.contract.EstimateRequest;
import io.cohortflow.core.contract.ReplyRecord;
import io.cohortflow.core.estimate.AudienceEstimate;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.segments.DraftEstimator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Draft estimates through the job: one request on the estimates topic, every subtask's part back on
 * the replies topic ({@link JobClient#estimate}), combined by core ({@link AudienceEstimate}).
 */
final class Estimates implements DraftEstimator {
    private final JobClient job;
    private final SegmentationConfig config;
    private final Clock clock;

    Estimates(JobClient job, SegmentationConfig config, Clock clock) {
        this.job = job;
        this.config = config;
        this.clock = clock;
    }

    @Override
    public CompletableFuture<Estimate> estimate(
            String workspace, JsonNode definition, @Nullable Integer sample) {
        long started = System.nanoTime();
        Duration timeout = config.estimateTimeout();
        EstimateRequest r =
                new EstimateRequest(
                        UUID.randomUUID().toString(),
                        workspace,
                        definition,
                        sample == null ? config.estimateSample() : sample,
                        ThreadLocalRandom.current().nextLong(),
                        clock.millis() + timeout.toMillis());
        return job.estimate(r, timeout)
                .handle(
                        (parts, error) -> {
                            if (error != null) {
                                throw new CompletionException(JobErrors.translate(error));
                            }
                            return combine(parts, Duration.ofNanos(System.nanoTime() - started));
                        });
    }

    @Override
    public io.cohortflow.core.eval.EngineConfig engine() {
        return job.eventTimeLimits().engine();
    }

    @Override
    public io.cohortflow.core.event.EventLimits eventLimits() {
        return config.eventLimits();
    }

    static Estimate combine(List<EstimatePart> parts, Duration took) {
        List<AudienceEstimate.Stratum> strata = new ArrayList<>();
        Instant at = null;
        for (EstimatePart p : parts) {
            ReplyRecord.Error e = p.error();
            if (e != null) {
                int status = JobErrors.httpStatus(e.code());
                throw ServiceException.withDetail(
                        status,
                        status == 400 ? "invalid_definition" : e.code(),
                        status == 503
                                ? "estimates are not available yet: " + e.message()
                                : e.message(),
                        e.message());
            }
            strata.add(new AudienceEstimate.Stratum(p.population(), p.sampled(), p.matched()));
            if (p.evaluatedAt() != null) {
                Instant i = Instant.parse(p.evaluatedAt());
                at = at == null || i.isAfter(at) ? i : at;
            }
        }
        return new Estimate(AudienceEstimate.of(strata), at, parts.size(), took);
    }
}
