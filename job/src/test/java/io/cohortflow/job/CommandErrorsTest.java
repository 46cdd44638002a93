package io.cohortflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.flink.api.common.JobID;
import org.apache.flink.runtime.JobException;
import org.apache.flink.runtime.client.JobExecutionException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The commands' one rule for how they end (the commands' own tests run it on their mistakes). */
class CommandErrorsTest {
    @CommandLine.Command(name = "backfill")
    static final class Named implements java.util.concurrent.Callable<Integer> {
        @Override
        public Integer call() {
            return 0;
        }
    }

    private final StringWriter err = new StringWriter();

    private int failure(Exception e, Map<String, String> env) {
        CommandLine cli = CommandErrors.commandLine(new Named());
        cli.setErr(new PrintWriter(err, true));
        return CommandErrors.failure(e, cli, env);
    }

    /** A failed run's cause under Flink's four wrappers, the file it could not read named. */
    private static Exception failedRun() {
        IOException cause =
                new IOException(
                        "cannot read file:/h/2.jsonl.gz: Not in GZIP format",
                        new java.util.zip.ZipException("Not in GZIP format"));
        RuntimeException fetcher =
                new RuntimeException(
                        "One or more fetchers have encountered exception",
                        new RuntimeException(
                                "SplitFetcher thread 0 received unexpected exception while"
                                        + " polling the records",
                                cause));
        return new JobExecutionException(
                new JobID(),
                "Job execution failed.",
                new JobException(
                        "Recovery is suppressed by NoRestartBackoffTimeStrategy", fetcher));
    }

    @Test
    void a_failed_run_is_one_line_of_its_cause_and_exit_1() {
        assertThat(failure(failedRun(), Map.of())).isEqualTo(1);
        assertThat(err.toString())
                .isEqualTo(
                        "backfill: cannot read file:/h/2.jsonl.gz: Not in GZIP format"
                                + System.lineSeparator());
    }

    @Test
    void the_stack_trace_comes_only_with_the_variable_set() {
        for (String off : new String[] {"", "0", "false"}) {
            err.getBuffer().setLength(0);
            failure(failedRun(), Map.of(CommandErrors.VERBOSE, off));
            assertThat(err.toString()).as(off).doesNotContain("\tat ");
        }
        err.getBuffer().setLength(0);
        failure(failedRun(), Map.of(CommandErrors.VERBOSE, "1"));
        assertThat(err.toString())
                .startsWith("backfill: cannot read file:/h/2.jsonl.gz: Not in GZIP format")
                .contains(
                        "JobExecutionException", "\tat ", "Caused by: java.util.zip.ZipException");
    }

    @Test
    void wrong_input_is_exit_2_only_as_the_exception_itself() {
        assertThat(failure(new IllegalArgumentException("--x y: no good"), Map.of())).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("backfill: --x y: no good" + System.lineSeparator());
        // Inside a run it is the run's failure.
        assertThat(
                        failure(
                                new IllegalStateException(
                                        "the run", new IllegalArgumentException("inside")),
                                Map.of()))
                .isEqualTo(1);
    }

    @Test
    void reasons_are_each_cause_once_on_one_line_without_mere_wrappers() {
        Exception timeout = new IOException("Timed out waiting for a node assignment");
        assertThat(
                        CommandErrors.reasons(
                                new IllegalStateException(
                                        "the definitions: no answer from Kafka at k:9092",
                                        new ExecutionException(timeout))))
                .isEqualTo(
                        "the definitions: no answer from Kafka at k:9092: Timed out waiting for"
                                + " a node assignment");
        assertThat(
                        CommandErrors.reasons(
                                new IOException("Unrecognized token 'x'\n at [Source: ...]")))
                .isEqualTo("Unrecognized token 'x'");
        assertThat(CommandErrors.reasons(new java.net.ConnectException()))
                .isEqualTo("ConnectException");
    }
}
