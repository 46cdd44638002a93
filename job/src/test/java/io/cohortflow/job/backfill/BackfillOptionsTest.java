package io.cohortflow.job.backfill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackfillOptionsTest {
    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

    @Test
    void every_option() {
        BackfillOptions o =
                BackfillOptions.parse(
                        new String[] {
                            "--input",
                            "a.jsonl,dir/",
                            "--input",
                            "b.jsonl.gz",
                            "--output",
                            "out",
                            "--from",
                            "2026-10-01T00:00:00Z",
                            "--until",
                            "2026-11-01T00:00:00Z",
                            "--savepoint",
                            "file:///tmp/sp",
                            "--definitions-file",
                            "segments.jsonl",
                            "--config",
                            "cohortflow.properties",
                            "--transitions",
                            "--publish"
                        },
                        NOW);
        assertThat(o.inputs()).containsExactly("a.jsonl", "dir/", "b.jsonl.gz");
        assertThat(o.output()).isEqualTo("out");
        assertThat(o.from()).isEqualTo(Instant.parse("2026-10-01T00:00:00Z").toEpochMilli());
        assertThat(o.until()).isEqualTo(Instant.parse("2026-11-01T00:00:00Z").toEpochMilli());
        assertThat(o.workspace()).isNull();
        assertThat(o.savepoint()).isEqualTo("file:///tmp/sp");
        assertThat(
                        BackfillOptions.parse(
                                        new String[] {
                                            "--input", "h", "--output", "o", "--workspace", "ws"
                                        },
                                        NOW)
                                .workspace())
                .isEqualTo("ws");
        assertThat(o.definitionsFile()).isEqualTo("segments.jsonl");
        assertThat(o.config()).isEqualTo(Path.of("cohortflow.properties"));
        assertThat(o.transitions()).isTrue();
        assertThat(o.publish()).isTrue();
    }

    @Test
    void defaults_all_history_up_to_now_every_workspace_no_savepoint() {
        BackfillOptions o =
                BackfillOptions.parse(new String[] {"--input", "h", "--output", "o"}, NOW);
        assertThat(o.from()).isEqualTo(Long.MIN_VALUE);
        assertThat(o.until()).isEqualTo(NOW.toEpochMilli());
        assertThat(o.workspace()).isNull();
        assertThat(o.savepoint()).isNull();
        assertThat(o.definitionsFile()).isNull();
        assertThat(o.inputs()).isEqualTo(List.of("h"));
        assertThat(o.transitions()).isFalse();
        assertThat(o.publish()).isFalse();
    }

    /**
     * A bootstrap's cut-over defaulting to the run's start dropped every event between the files'
     * export and the run: the bootstrapped job skips events before the cut-over, and the files do
     * not hold them. A cut-over in the future drops more.
     */
    @Test
    void a_savepoint_needs_an_until_and_no_until_is_later_than_now() {
        assertThatThrownBy(
                        () ->
                                BackfillOptions.parse(
                                        new String[] {
                                            "--input", "h", "--output", "o", "--savepoint", "sp"
                                        },
                                        NOW))
                .hasMessageContaining("--savepoint needs --until")
                .hasMessageContaining("no later than the newest event the history files hold");
        for (String savepoint : new String[] {null, "sp"}) {
            List<String> args =
                    new java.util.ArrayList<>(
                            List.of(
                                    "--input",
                                    "h",
                                    "--output",
                                    "o",
                                    "--until",
                                    "2026-11-23T12:00:01Z"));
            if (savepoint != null) {
                args.addAll(List.of("--savepoint", savepoint));
            }
            assertThatThrownBy(() -> BackfillOptions.parse(args.toArray(String[]::new), NOW))
                    .hasMessageContaining("--until 2026-11-23T12:00:01Z is later than now");
        }
        assertThat(
                        BackfillOptions.parse(
                                        new String[] {
                                            "--input",
                                            "h",
                                            "--output",
                                            "o",
                                            "--until",
                                            NOW.toString(),
                                            "--savepoint",
                                            "sp"
                                        },
                                        NOW)
                                .until())
                .isEqualTo(NOW.toEpochMilli());
    }

    /** The command line's wrong options exit 2, as docs/backfill.md says. */
    @Test
    void a_savepoint_without_until_exits_2_before_reading_anything() {
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli = new picocli.CommandLine(new BackfillCommand());
        cli.setErr(new java.io.PrintWriter(err, true));
        cli.setOut(new java.io.PrintWriter(new java.io.StringWriter(), true));
        assertThat(cli.execute("--input", "missing", "--output", "missing", "--savepoint", "sp"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--savepoint needs --until");
    }

    @Test
    void bad_command_lines_say_what_is_wrong() {
        assertThatThrownBy(() -> BackfillOptions.parse(new String[] {"--output", "o"}, NOW))
                .hasMessageContaining("give either --input or --input-table");
        // A bootstrap savepoint of one workspace would drop every other's state.
        assertThatThrownBy(
                        () ->
                                BackfillOptions.parse(
                                        new String[] {
                                            "--input",
                                            "h",
                                            "--output",
                                            "o",
                                            "--workspace",
                                            "ws",
                                            "--savepoint",
                                            "file:///tmp/sp"
                                        },
                                        NOW))
                .hasMessageContaining("cannot be written for one --workspace");
        assertThatThrownBy(
                        () ->
                                BackfillOptions.parse(
                                        new String[] {
                                            "--input",
                                            "h",
                                            "--input-table",
                                            "t.sql",
                                            "--output",
                                            "o"
                                        },
                                        NOW))
                .hasMessageContaining("give either --input or --input-table");
        assertThat(
                        BackfillOptions.parse(
                                        new String[] {"--input-table", "t.sql", "--output", "o"},
                                        NOW)
                                .inputTable())
                .isEqualTo("t.sql");
        assertThatThrownBy(
                        () ->
                                BackfillOptions.parse(
                                        new String[] {"--input", "h", "--output", "o", "--x"}, NOW))
                .hasMessageContaining("Unknown option: '--x'");
        assertThatThrownBy(
                        () ->
                                BackfillOptions.parse(
                                        new String[] {"--input", "h", "--output", "o", "--until"},
                                        NOW))
                .hasMessageContaining("Missing required parameter for option '--until'");
        assertThatThrownBy(
                        () ->
                                BackfillOptions.parse(
                                        new String[] {
                                            "--input", "h", "--output", "o", "--until", "yesterday"
                                        },
                                        NOW))
                .hasMessageContaining("--until: not an ISO-8601 instant");
        assertThatThrownBy(
                        () ->
                                BackfillOptions.parse(
                                        new String[] {
                                            "--input",
                                            "h",
                                            "--output",
                                            "o",
                                            "--from",
                                            "2026-11-02T00:00:00Z",
                                            "--until",
                                            "2026-11-01T00:00:00Z"
                                        },
                                        NOW))
                .hasMessageContaining("--from must be before --until");
    }
}
