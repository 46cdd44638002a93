package io.cohortflow.job.backfill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        assertThat(backfill("--input", "missing", "--output", "missing", "--savepoint", "sp"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--savepoint needs --until");
    }

    // The command as Backfill.main runs it: a user's mistake is one line naming the option (and
    // the file and line) and why, exit 2, never a stack trace (CommandErrors). A definitions
    // file that is not JSON, or holds a definition the job refuses, was a run that went through
    // with exit 0 and the segment's records in the dead letters; a wrong option printed the whole
    // usage after the line.

    @TempDir Path dir;

    private final BackfillCli cli = new BackfillCli();
    private final StringWriter err = cli.err;

    private int backfill(String... args) {
        return cli.run(args);
    }

    /** A run over {@code definitions}, as a file, of an empty history. */
    private int withDefinitions(String definitions) throws Exception {
        Path file = Files.writeString(dir.resolve("segments.jsonl"), definitions);
        return backfill(
                "--input",
                Files.writeString(dir.resolve("history.jsonl"), "").toString(),
                "--definitions-file",
                file.toString(),
                "--output",
                dir.resolve("out").toString(),
                "--until",
                "2026-01-01T00:00:00Z");
    }

    private void assertOneLine(String line) {
        assertThat(err.toString()).isEqualTo(line + System.lineSeparator());
        assertThat(err.toString()).doesNotContain("\tat ").doesNotContain("Exception");
    }

    private static String segment(String id, String definition) {
        return io.cohortflow.job.TestRecords.segmentJson("ws", id, 1, 0, true, false, definition);
    }

    @Test
    void a_definitions_file_that_is_not_json_exits_2_naming_its_line() throws Exception {
        assertThat(withDefinitions("\n" + "not json {\n")).isEqualTo(2);
        assertOneLine(
                "backfill: --definitions-file "
                        + dir.resolve("segments.jsonl")
                        + ", line 2: not JSON: Unrecognized token 'not': was expecting (JSON"
                        + " String, Number, Array, Object or token 'null', 'true' or 'false')");
        assertThat(dir.resolve("out")).as("nothing started").doesNotExist();
    }

    @Test
    void a_definition_the_job_refuses_exits_2_naming_segment_line_and_problem() throws Exception {
        String buyers = segment("buyers", io.cohortflow.job.TestRecords.everPurchased());
        String broken =
                segment(
                        "broken",
                        "{\"func\":\"segment-def\",\"version\":[1,0,0],"
                                + "\"container\":{\"func\":\"nonsense\"}}");
        assertThat(withDefinitions(buyers + "\n" + broken + "\n")).isEqualTo(2);
        assertOneLine(
                "backfill: --definitions-file "
                        + dir.resolve("segments.jsonl")
                        + ", line 2: segment ws/broken version 1 refused: unknown function"
                        + " \"nonsense\" at /container/func (unknown_function)");
        err.getBuffer().setLength(0);
        // JSON's null: no record at all (the operator failed on it with a NullPointerException).
        assertThat(withDefinitions(buyers + "\nnull\n")).isEqualTo(2);
        assertOneLine(
                "backfill: --definitions-file "
                        + dir.resolve("segments.jsonl")
                        + ", line 2: not a segment record: a segment record needs workspace, id"
                        + " and a version >= 1");
    }

    @Test
    void a_definitions_directory_exits_2() throws Exception {
        Files.createDirectories(dir.resolve("defs"));
        assertThat(
                        backfill(
                                "--input",
                                Files.writeString(dir.resolve("history.jsonl"), "").toString(),
                                "--definitions-file",
                                dir.resolve("defs").toString(),
                                "--output",
                                dir.resolve("out").toString(),
                                "--until",
                                "2026-01-01T00:00:00Z"))
                .isEqualTo(2);
        assertOneLine(
                "backfill: --definitions-file "
                        + dir.resolve("defs")
                        + ": a directory, not a file of segment records");
    }

    @Test
    void an_until_that_does_not_parse_exits_2_in_a_line_and_where_the_help_is() {
        assertThat(backfill("--input", "h", "--output", "o", "--until", "yesterday")).isEqualTo(2);
        assertThat(err.toString())
                .isEqualTo(
                        "backfill: --until: not an ISO-8601 instant (e.g. 2026-11-01T00:00:00Z):"
                                + " yesterday"
                                + System.lineSeparator()
                                + "Try 'backfill --help' for more information."
                                + System.lineSeparator());
    }

    @Test
    void a_missing_input_exits_2_naming_it() throws Exception {
        Path defs =
                Files.writeString(
                        dir.resolve("segments.jsonl"),
                        segment("buyers", io.cohortflow.job.TestRecords.everPurchased()));
        assertThat(
                        backfill(
                                "--input",
                                dir.resolve("missing.jsonl").toString(),
                                "--definitions-file",
                                defs.toString(),
                                "--output",
                                dir.resolve("out").toString(),
                                "--until",
                                "2026-01-01T00:00:00Z"))
                .isEqualTo(2);
        assertThat(err.toString())
                .isEqualTo(
                        "backfill: --input "
                                + dir.resolve("missing.jsonl")
                                + ": no such file or directory"
                                + System.lineSeparator()
                                + "Try 'backfill --help' for more information."
                                + System.lineSeparator());
    }

    /** The savepoint writer found it only at the run's end, after the whole backfill. */
    @Test
    void a_savepoint_directory_that_cannot_be_made_exits_2_before_the_run() throws Exception {
        Path history = Files.writeString(dir.resolve("history.jsonl"), "");
        Path defs = Files.writeString(dir.resolve("segments.jsonl"), "");
        assertThat(
                        backfill(
                                "--input",
                                history.toString(),
                                "--definitions-file",
                                defs.toString(),
                                "--output",
                                dir.resolve("out").toString(),
                                "--until",
                                "2026-01-01T00:00:00Z",
                                "--savepoint",
                                history.resolve("bootstrap").toString()))
                .isEqualTo(2);
        assertOneLine(
                "backfill: --savepoint "
                        + history.resolve("bootstrap")
                        + ": cannot create the directory: "
                        + history
                        + " is a file");
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
