package io.cohortflow.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.ReplyRecord;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReplyStatusTest {
    @Test
    void the_service_chooses_the_status_of_each_code_the_job_replies_with() {
        assertThat(JobErrors.httpStatus(ReplyRecord.INVALID_REQUEST)).isEqualTo(400);
        assertThat(JobErrors.httpStatus(ReplyRecord.DEFINITIONS_LOADING)).isEqualTo(503);
        assertThat(JobErrors.httpStatus(ReplyRecord.PROCESSING_FAILED)).isEqualTo(500);
        assertThat(JobErrors.httpStatus("a_code_from_a_newer_job")).isEqualTo(500);
    }

    @Test
    void a_reply_written_by_a_job_that_chose_the_status_itself_is_still_read() throws Exception {
        ReplyRecord r =
                Json.read(
                        ("{\"request_id\":\"r1\",\"user_id\":\"u1\",\"error\":"
                                        + "{\"code\":\"definitions_loading\",\"message\":\"m\",\"status\":503}}")
                                .getBytes(StandardCharsets.UTF_8),
                        ReplyRecord.class);
        assertThat(r.error().code()).isEqualTo(ReplyRecord.DEFINITIONS_LOADING);
        assertThat(JobErrors.httpStatus(r.error().code())).isEqualTo(503);
    }

    @Test
    void a_broker_that_did_not_answer_before_the_job_was_asked_is_a_503_not_the_jobs_504() {
        var e =
                JobErrors.unavailable(
                        "the alias bindings could not be written",
                        new java.util.concurrent.TimeoutException("write"));
        assertThat(e.status()).isEqualTo(503);
        assertThat(e.code()).isEqualTo("segmentation_unavailable");
        assertThat(
                        JobErrors.unavailable(
                                        "x", new org.apache.kafka.common.KafkaException("down"))
                                .status())
                .isEqualTo(503);
    }
}
