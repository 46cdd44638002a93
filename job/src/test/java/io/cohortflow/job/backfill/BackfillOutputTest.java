package io.cohortflow.job.backfill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A run into an earlier run's --output: refused, or with --overwrite the earlier results deleted
 * first. Part files get new names on every run and a table insert appends, so both runs' records
 * ended up side by side.
 */
class BackfillOutputTest {
    @TempDir Path dir;

    private final StringWriter err = new StringWriter();

    private int backfill(String... args) {
        CommandLine cli = new CommandLine(new BackfillCommand());
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
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
     * The command deletes them before the run starts (this run then fails at once: its table file
     * is missing, which keeps the test from running a backfill).
     */
    @Test
    void the_command_with_overwrite_deletes_them_before_the_run() throws Exception {
        Path part = earlier(Backfill.MEMBERSHIPS);
        int exit =
                backfill(
                        "--input-table",
                        dir.resolve("missing.sql").toString(),
                        "--definitions-file",
                        dir.resolve("segments.jsonl").toString(),
                        "--output",
                        dir.resolve("out").toString(),
                        "--until",
                        "2026-01-01T00:00:00Z",
                        "--overwrite");
        assertThat(err.toString()).contains("cannot read --input-table");
        assertThat(exit).isEqualTo(1);
        assertThat(part).doesNotExist();
    }
}
