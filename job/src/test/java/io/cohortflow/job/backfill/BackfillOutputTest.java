package io.cohortflow.job.backfill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run into an earlier run's --output: refused, or with --overwrite the earlier results deleted
 * first. Part files get new names on every run and a table insert appends, so both runs' records
 * ended up side by side.
 */
class BackfillOutputTest {
    @TempDir Path dir;

    private final BackfillCli cli = new BackfillCli();
    private final StringWriter err = cli.err;

    private int backfill(String... args) {
        return cli.run(args);
    }

    private Path earlier(String name) throws Exception {
        Path part = dir.resolve("out").resolve(name).resolve("part-earlier-0.jsonl");
        Files.createDirectories(part.getParent());
        Files.writeString(part, "{\"from\":\"the earlier run\"}\n");
        return part;
    }

    @Test
    void an_output_holding_an_earlier_runs_results_is_refused_with_exit_2() throws Exception {
        for (String name : Backfill.OUTPUTS) {
            Path part = earlier(name);
            err.getBuffer().setLength(0);
            assertThat(
                            backfill(
                                    "--input",
                                    dir.resolve("history.jsonl").toString(),
                                    "--definitions-file",
                                    dir.resolve("segments.jsonl").toString(),
                                    "--output",
                                    dir.resolve("out").toString(),
                                    "--until",
                                    "2026-01-01T00:00:00Z"))
                    .as(name)
                    .isEqualTo(2);
            assertThat(err.toString())
                    .contains("holds an earlier run's results", name, "--overwrite");
            assertThat(part).as("left as it was").exists();
            Files.delete(part);
        }
        // Empty ones (or none) are no earlier results.
        Backfill.prepareOutput(dir.resolve("out").toString(), false);
        Backfill.prepareOutput(dir.resolve("none").toString(), false);
    }

    @Test
    void overwrite_deletes_the_earlier_results_and_nothing_else() throws Exception {
        for (String name : Backfill.OUTPUTS) {
            earlier(name);
        }
        Path bootstrap = dir.resolve("out").resolve("bootstrap").resolve("_metadata");
        Files.createDirectories(bootstrap.getParent());
        Files.writeString(bootstrap, "a savepoint");
        assertThatThrownBy(() -> Backfill.prepareOutput(dir.resolve("out").toString(), false))
                .hasMessageContaining("memberships")
                .hasMessageContaining("dead-letters")
                .hasMessageContaining("transitions");
        Backfill.prepareOutput(dir.resolve("out").toString(), true);
        for (String name : Backfill.OUTPUTS) {
            assertThat(dir.resolve("out").resolve(name)).doesNotExist();
        }
        assertThat(bootstrap).exists();
        Backfill.prepareOutput(dir.resolve("out").toString(), false);
    }

    /**
     * A run that cannot start (its table file, an input or its definitions missing) leaves the
     * earlier results where they were: --overwrite deleted them before anything was read.
     */
    @Test
    void a_run_that_cannot_start_keeps_the_earlier_results() throws Exception {
        Path part = earlier(Backfill.MEMBERSHIPS);
        Files.writeString(dir.resolve("segments.jsonl"), "");
        Files.writeString(dir.resolve("history.jsonl"), "");
        String[][] cases = {
            {"--input-table", dir.resolve("missing.sql").toString()},
            {"--input", dir.resolve("missing.jsonl").toString()},
            {
                "--input",
                dir.resolve("history.jsonl").toString(),
                "--definitions-file",
                dir.resolve("missing-segments.jsonl").toString()
            },
        };
        String[] expected = {
            "--input-table " + dir.resolve("missing.sql") + ": no such file or directory",
            "--input " + dir.resolve("missing.jsonl") + ": no such file or directory",
            "--definitions-file "
                    + dir.resolve("missing-segments.jsonl")
                    + ": no such file or directory"
        };
        for (int i = 0; i < cases.length; i++) {
            err.getBuffer().setLength(0);
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(cases[i]));
            if (!args.contains("--definitions-file")) {
                args.addAll(
                        java.util.List.of(
                                "--definitions-file", dir.resolve("segments.jsonl").toString()));
            }
            args.addAll(
                    java.util.List.of(
                            "--output",
                            dir.resolve("out").toString(),
                            "--until",
                            "2026-01-01T00:00:00Z",
                            "--overwrite"));
            int exit = backfill(args.toArray(String[]::new));
            assertThat(err.toString()).as(cases[i][1]).contains(expected[i]);
            assertThat(exit).as(cases[i][1]).isEqualTo(2);
            assertThat(part).as(cases[i][1]).exists();
        }
    }

    /** A run that starts replaces them: the earlier part file gone, this run's there. */
    @Test
    void the_command_with_overwrite_replaces_them() throws Exception {
        Path part = earlier(Backfill.MEMBERSHIPS);
        long t = java.time.Instant.parse("2025-12-01T00:00:00Z").toEpochMilli();
        Files.writeString(
                dir.resolve("history.jsonl"),
                io.cohortflow.job.TestRecords.envelope(
                                "ws",
                                "ann",
                                null,
                                io.cohortflow.job.TestRecords.event("Purchase", t))
                        + "\n");
        Files.writeString(
                dir.resolve("segments.jsonl"),
                io.cohortflow.job.TestRecords.segmentJson(
                                "ws",
                                "buyers",
                                1,
                                0,
                                true,
                                false,
                                io.cohortflow.job.TestRecords.everPurchased())
                        + "\n");
        int exit =
                backfill(
                        "--input",
                        dir.resolve("history.jsonl").toString(),
                        "--definitions-file",
                        dir.resolve("segments.jsonl").toString(),
                        "--output",
                        dir.resolve("out").toString(),
                        "--until",
                        "2026-01-01T00:00:00Z",
                        "--overwrite");
        assertThat(exit).as(err.toString()).isZero();
        assertThat(part).doesNotExist();
        try (var files = Files.walk(dir.resolve("out").resolve(Backfill.MEMBERSHIPS))) {
            String written =
                    files.filter(Files::isRegularFile)
                            .map(
                                    f -> {
                                        try {
                                            return Files.readString(f);
                                        } catch (java.io.IOException e) {
                                            throw new java.io.UncheckedIOException(e);
                                        }
                                    })
                            .reduce("", String::concat);
            assertThat(written).contains("\"user_id\":\"ann\"", "\"segment_id\":\"buyers\"");
        }
    }
}
