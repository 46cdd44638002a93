package io.cohortflow.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code launcher/run.sh}'s arguments: a usage, a clear error, or the configuration to start. */
class CohortflowArgsTest {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    Cohortflow.Invocation run(String env, String... args) {
        return Cohortflow.invocation(
                args,
                env,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void help_prints_the_usage_and_exits_0() {
        for (String flag : new String[] {"--help", "-h"}) {
            out.reset();
            Cohortflow.Invocation i = run(null, flag);
            assertThat(i.start()).isFalse();
            assertThat(i.status()).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8))
                    .startsWith("usage: launcher/run.sh")
                    .doesNotContain("Exception");
        }
    }

    @Test
    void an_unknown_option_or_a_missing_file_is_a_clear_error_with_status_2() {
        Cohortflow.Invocation unknown = run(null, "--port", "8080");
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("unexpected arguments: --port 8080")
                .contains("usage:");
        err.reset();
        Cohortflow.Invocation missing = run(null, "nowhere.properties");
        assertThat(missing.start()).isFalse();
        assertThat(missing.status()).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .isEqualTo("cohortflow: no configuration file nowhere.properties\n");
    }

    @Test
    void a_file_from_the_arguments_or_the_environment_is_started_with(@TempDir Path dir)
            throws Exception {
        Path file = Files.writeString(dir.resolve("c.properties"), "job.parallelism=1\n");
        assertThat(run(null, file.toString()).config()).isEqualTo(file);
        assertThat(run(file.toString()).config()).isEqualTo(file);
        Cohortflow.Invocation none = run(null);
        assertThat(none.start()).isTrue();
        assertThat(none.config()).isNull();
    }
}
