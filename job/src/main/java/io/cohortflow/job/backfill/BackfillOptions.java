package io.cohortflow.job.backfill;

import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.annotation.Nullable;

/**
 * What one backfill run does, from its command line.
 *
 * @param inputs files or directories of event envelopes (JSON lines, optionally compressed)
 * @param from events before this instant are left out (none by default)
 * @param until the end of history: events at or after it are left out, memberships are as of it,
 *     and it is the cut-over instant of a bootstrap (default: the start of the run)
 * @param workspace only this workspace's events (all by default)
 * @param output directory for {@code memberships/}, {@code dead-letters/} and, when asked, {@code
 *     transitions/}
 * @param transitions also write every entered/exited transition, as the streaming job would
 * @param publish also write the memberships and dead letters to their Kafka topics
 * @param savepoint write a bootstrap savepoint (and its cut-over file) here
 * @param definitionsFile read segment records from this JSON lines file instead of the topic
 * @param config the job's properties file (Kafka, topics, horizon, ...)
 */
public record BackfillOptions(
        List<String> inputs,
        long from,
        long until,
        @Nullable String workspace,
        String output,
        boolean transitions,
        boolean publish,
        @Nullable String savepoint,
        @Nullable String definitionsFile,
        @Nullable Path config) {

    public static final String USAGE =
            """
            usage: backfill --input <file|dir>[,<file|dir>...] --output <dir>
                            [--from <instant>] [--until <instant>] [--workspace <id>]
                            [--savepoint <dir>] [--definitions-file <segments.jsonl>]
                            [--transitions] [--publish] [--config <cohortflow.properties>]
              instants are ISO-8601, e.g. 2026-11-01T00:00:00Z; --until defaults to now""";

    public static BackfillOptions parse(String[] args, Instant now) {
        List<String> inputs = new ArrayList<>();
        Map<String, String> values = new java.util.HashMap<>();
        boolean transitions = false;
        boolean publish = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--transitions" -> transitions = true;
                case "--publish" -> publish = true;
                case "--input",
                        "--output",
                        "--from",
                        "--until",
                        "--workspace",
                        "--savepoint",
                        "--definitions-file",
                        "--config" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(a + " needs a value\n" + USAGE);
                    }
                    String v = args[++i];
                    if (a.equals("--input")) {
                        inputs.addAll(List.of(v.split(",")));
                    } else {
                        values.put(a, v);
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
            }
        }
        if (inputs.isEmpty() || !values.containsKey("--output")) {
            throw new IllegalArgumentException("--input and --output are required\n" + USAGE);
        }
        long from = instant(values, "--from", Long.MIN_VALUE);
        long until = instant(values, "--until", now.toEpochMilli());
        if (from >= until) {
            throw new IllegalArgumentException("--from must be before --until");
        }
        String config = values.get("--config");
        return new BackfillOptions(
                List.copyOf(inputs),
                from,
                until,
                values.get("--workspace"),
                values.get("--output"),
                transitions,
                publish,
                values.get("--savepoint"),
                values.get("--definitions-file"),
                config == null ? null : Path.of(config));
    }

    private static long instant(Map<String, String> values, String option, long otherwise) {
        String v = values.get(option);
        if (v == null) {
            return otherwise;
        }
        try {
            return Instant.parse(v).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(
                    option + ": not an ISO-8601 instant (e.g. 2026-11-01T00:00:00Z): " + v);
        }
    }
}
