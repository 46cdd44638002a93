package io.cohortflow.job.backfill;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;

/**
 * What one backfill run does, from its command line ({@link BackfillCommand}).
 *
 * @param inputs files or directories of event envelopes (JSON lines, optionally compressed)
 * @param inputTable a SQL file: tables, then the query mapping them to events ({@link
 *     TableHistory}), read instead of {@code inputs}
 * @param from events before this instant are left out (none by default)
 * @param until the end of history: events at or after it are left out, memberships are as of it,
 *     and it is the cut-over instant of a bootstrap (default: the start of the run, never with a
 *     savepoint; never later than the start of the run)
 * @param workspace only this workspace's events (all by default)
 * @param output directory for {@code memberships/}, {@code dead-letters/} and, when asked, {@code
 *     transitions/}
 * @param transitions also write every entered/exited transition, as the streaming job would
 * @param publish also write the memberships and dead letters to their Kafka topics
 * @param savepoint write a bootstrap savepoint (and its cut-over file) here
 * @param definitionsFile read segment records from this JSON lines file instead of the topic
 * @param config the job's properties file (Kafka, topics, horizon, ...)
 * @param outputFormat the memberships' format: {@link #JSON_LINES}, or a Table API file format
 *     ({@code csv}, {@code parquet}, {@code json})
 */
public record BackfillOptions(
        List<String> inputs,
        @Nullable String inputTable,
        long from,
        long until,
        @Nullable String workspace,
        String output,
        boolean transitions,
        boolean publish,
        @Nullable String savepoint,
        @Nullable String definitionsFile,
        @Nullable Path config,
        String outputFormat) {

    /** The memberships as the topic's JSON, one record per line (the default). */
    public static final String JSON_LINES = "jsonl";

    /** The formats {@code --output-format} takes. */
    public static final java.util.List<String> OUTPUT_FORMATS =
            java.util.List.of(JSON_LINES, "csv", "parquet", "json");

    /**
     * The options of a command line, as {@code cohortflow backfill} reads them; an {@link
     * IllegalArgumentException} saying what is wrong otherwise.
     */
    public static BackfillOptions parse(String[] args, Instant now) {
        BackfillCommand command = new BackfillCommand();
        try {
            new CommandLine(command).parseArgs(args);
            return command.options(now);
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
