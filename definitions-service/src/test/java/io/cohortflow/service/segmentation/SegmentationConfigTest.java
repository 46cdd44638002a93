package io.cohortflow.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohortflow.core.contract.EventEnvelope;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SegmentationConfigTest {
    /**
     * The job refuses an envelope of more than {@link EventEnvelope#MAX_EVENTS} events, so a
     * request limit above it would accept requests the job then refuses (a 400 from the job, and a
     * dead letter, for a body the service let through).
     */
    @Test
    void events_per_request_stay_within_what_the_job_takes_in_one_record() {
        String key = SegmentationConfig.MAX_EVENTS.key();
        assertThat(
                        SegmentationConfig.from(
                                        Map.of(key, Integer.toString(EventEnvelope.MAX_EVENTS)),
                                        Map.of())
                                .maxEvents())
                .isEqualTo(EventEnvelope.MAX_EVENTS);
        assertThatThrownBy(
                        () ->
                                SegmentationConfig.from(
                                        Map.of(key, Integer.toString(EventEnvelope.MAX_EVENTS + 1)),
                                        Map.of()))
                .hasMessageContaining(key);
    }

    @Test
    void schemas_a_workspace_may_hold_default_to_1000_and_can_be_set() {
        assertThat(SegmentationConfig.from(Map.of(), Map.of()).maxSchemas()).isEqualTo(1_000);
        String key = SegmentationConfig.MAX_SCHEMAS.key();
        assertThat(SegmentationConfig.from(Map.of(key, "25"), Map.of()).maxSchemas()).isEqualTo(25);
        assertThat(
                        SegmentationConfig.from(
                                        Map.of(),
                                        Map.of("COHORTFLOW_SEGMENTATION_MAX_SCHEMAS", "7"))
                                .maxSchemas())
                .isEqualTo(7);
        assertThatThrownBy(() -> SegmentationConfig.from(Map.of(key, "0"), Map.of()))
                .hasMessageContaining(key);
    }
}
