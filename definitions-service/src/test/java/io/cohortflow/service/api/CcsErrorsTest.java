package io.cohortflow.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.ReplyRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class CcsErrorsTest {
    /**
     * A client may switch on the numeric code: each type has its own, the one the error table of
     * docs/segmentation.md gives it (a type missing from the table of codes fell back to its status
     * times ten, which two 404s shared).
     */
    @Test
    void every_documented_type_has_its_documented_code_and_the_jobs_answers_have_one()
            throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "segmentation.md"));
        Map<String, Integer> documented = new HashMap<>();
        Matcher m = Pattern.compile("`([a-z_]+)` \\((\\d{4})\\)").matcher(doc);
        while (m.find()) {
            documented.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        assertThat(documented).isNotEmpty().isEqualTo(CcsErrors.CODES);
        for (String jobCode :
                List.of(
                        ReplyRecord.UNKNOWN_SEGMENT,
                        ReplyRecord.INVALID_REQUEST,
                        ReplyRecord.PROCESSING_FAILED,
                        ReplyRecord.DEFINITIONS_LOADING,
                        ReplyRecord.TOO_LARGE,
                        "user_not_found")) {
            assertThat(CcsErrors.CODES).containsKey(jobCode);
        }
        assertThat(CcsErrors.CODES.values()).doesNotHaveDuplicates();
    }
}
