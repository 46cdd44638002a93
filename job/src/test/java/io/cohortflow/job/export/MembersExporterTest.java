package io.cohortflow.job.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohortflow.core.contract.MembersExport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A failed export leaves nothing behind (the export itself: {@code MembersExportTest}). */
class MembersExporterTest {
    @TempDir Path dir;

    @Test
    void an_export_that_fails_deletes_its_directory() throws Exception {
        // A snapshot the State Processor API cannot read: the export fails before its job runs,
        // where it had already created <exports>/<id> (left empty for good).
        Path snapshot = dir.resolve("savepoints").resolve("savepoint-1");
        Files.createDirectories(snapshot);
        Files.writeString(snapshot.resolve("_metadata"), "not a savepoint's metadata");
        Path exports = dir.resolve("exports");
        assertThatThrownBy(
                        () ->
                                MembersExporter.run(
                                        new MembersExporter.Options(
                                                List.of(dir.resolve("savepoints")),
                                                exports,
                                                MembersExport.JSON_LINES,
                                                null,
                                                null,
                                                3,
                                                Duration.ofSeconds(1),
                                                null,
                                                "cohortflow"),
                                        new Configuration(),
                                        line -> {}))
                .isInstanceOf(Exception.class);
        try (Stream<Path> left = Files.list(exports)) {
            assertThat(left).isEmpty();
        }
    }
}
