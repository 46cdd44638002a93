package io.cohortflow.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How long each checkpoint stopped the segmentation task, read from Flink's checkpoint statistics
 * (its REST API): per subtask, the checkpoint's synchronous part (RocksDB's flush and native
 * checkpoint, the chained exactly-once sink's flush and next transaction) and the barriers'
 * alignment. The task answers no request meanwhile, so with a checkpoint every 1.5 s a pause of 40
 * ms holds up about 3 % of the requests: the latency benchmarks print these beside each rate to say
 * how much of a tail is the checkpoints'.
 */
final class CheckpointPauses {
    /** Checkpoints kept by Flink's statistics: a minute at 1.5 s, with room (Flink keeps 10). */
    static final int HISTORY = 200;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TASK = "Segmentation";

    /** Requests scheduled this long after a checkpoint's trigger count as following it. */
    static final long AFTER_TRIGGER_MS = 400;

    private final List<Long> sync = new ArrayList<>();
    private final List<Long> triggers = new ArrayList<>();
    private final List<Long> alignment = new ArrayList<>();
    private int checkpoints;

    private CheckpointPauses() {}

    /** Pauses with only these checkpoints' trigger instants (epoch ms) known: tests. */
    static CheckpointPauses triggeredAt(List<Long> triggers) {
        CheckpointPauses p = new CheckpointPauses();
        p.triggers.addAll(triggers);
        return p;
    }

    /**
     * The pauses of the running job's checkpoints triggered between the two instants (epoch ms),
     * every subtask of the segmentation task counted.
     */
    static CheckpointPauses read(HttpClient http, String flink, long from, long to)
            throws Exception {
        CheckpointPauses p = new CheckpointPauses();
        String job = null;
        for (JsonNode j : get(http, flink + "/jobs/overview").path("jobs")) {
            if (j.path("state").asText().equals("RUNNING")) {
                job = j.path("jid").asText();
            }
        }
        if (job == null) {
            throw new IllegalStateException("no job running at " + flink);
        }
        String vertex = null;
        for (JsonNode v : get(http, flink + "/jobs/" + job).path("vertices")) {
            if (v.path("name").asText().startsWith(TASK)) {
                vertex = v.path("id").asText();
            }
        }
        if (vertex == null) {
            throw new IllegalStateException("no " + TASK + " task in job " + job);
        }
        for (JsonNode c : get(http, flink + "/jobs/" + job + "/checkpoints").path("history")) {
            long at = c.path("trigger_timestamp").asLong();
            if (at >= from - AFTER_TRIGGER_MS && at <= to) {
                p.triggers.add(at); // requests wait after a trigger whether or not it completes
            }
            if (!c.path("status").asText().equals("COMPLETED") || at < from || at > to) {
                continue;
            }
            p.checkpoints++;
            String path =
                    "/jobs/" + job + "/checkpoints/details/" + c.path("id").asLong() + "/subtasks/";
            p.add(get(http, flink + path + vertex));
        }
        return p;
    }

    /** Adds the subtasks of one checkpoint's statistics for one task. */
    void add(JsonNode task) {
        for (JsonNode s : task.path("subtasks")) {
            if (s.path("status").asText().equals("completed")) {
                sync.add(field(s, "checkpoint", "sync"));
                alignment.add(field(s, "alignment", "duration"));
            }
        }
    }

    /** A duration Flink's statistics must hold: a renamed field fails rather than reads 0. */
    private static long field(JsonNode subtask, String group, String name) {
        JsonNode v = subtask.path(group).get(name);
        if (v == null || !v.isNumber()) {
            throw new IllegalStateException("no " + group + "." + name + " in " + subtask);
        }
        return v.asLong();
    }

    /** Subtask pauses counted. */
    int pauses() {
        return sync.size();
    }

    /**
     * "n: sync p50 / p90 / max, align p90; {@link #split}" in ms; "none" when no checkpoint
     * completed.
     */
    String row(LatencyBenchmark.Result r) {
        return row() + "; " + split(r);
    }

    /** "n: sync p50 / p90 / max, align p90" in ms; "none" when no checkpoint completed. */
    String row() {
        if (sync.isEmpty()) {
            return "none";
        }
        List<Long> s = sorted(sync);
        return String.format(
                "%d: %d / %d / %d, align %d",
                checkpoints,
                at(s, 0.5),
                at(s, 0.9),
                s.get(s.size() - 1),
                at(sorted(alignment), 0.9));
    }

    /**
     * "p99 of the requests scheduled in the {@value #AFTER_TRIGGER_MS} ms after a checkpoint's
     * trigger / p99 of the others (their share of the requests)": whether a rate's tail follows the
     * checkpoints (more than the task's synchronous pause: requests wait for a few hundred ms after
     * a trigger, docs/segmentation.md) or is spread over the run.
     */
    String split(LatencyBenchmark.Result r) {
        List<Long> sortedTriggers = sorted(triggers);
        List<Long> after = new ArrayList<>();
        List<Long> others = new ArrayList<>();
        for (int i = 0; i < r.scheduledMillis().length; i++) {
            long t = r.scheduledMillis()[i];
            int k = Collections.binarySearch(sortedTriggers, t);
            int last = k >= 0 ? k : -k - 2; // the latest trigger at or before t
            boolean following = last >= 0 && t - sortedTriggers.get(last) < AFTER_TRIGGER_MS;
            (following ? after : others).add(r.latencyNanos()[i]);
        }
        return String.format(
                "%s / %s (%.0f %%)",
                p99(after),
                p99(others),
                100.0 * after.size() / Math.max(1, r.latencyNanos().length));
    }

    private static String p99(List<Long> nanos) {
        return nanos.isEmpty() ? "-" : String.format("%.1f", at(sorted(nanos), 0.99) / 1e6);
    }

    private static List<Long> sorted(List<Long> values) {
        List<Long> s = new ArrayList<>(values);
        Collections.sort(s);
        return s;
    }

    /** The nearest-rank quantile of sorted values. */
    static long at(List<Long> sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    private static JsonNode get(HttpClient http, String url) throws Exception {
        HttpResponse<String> r =
                http.send(
                        HttpRequest.newBuilder(URI.create(url)).build(),
                        HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }
}
