package io.cohortflow.rehearsal;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the soak reads of a running rehearsal cluster: Flink's REST API for the job's records,
 * checkpoints, restarts and the TaskManagers' heap, {@code /proc} for every process's resident
 * memory.
 */
final class ClusterReadings {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** The prefix of the job's own metrics as Flink's Prometheus reporter names them. */
    static final String JOB_METRICS = "flink_taskmanager_job_task_operator_cohortflow_";

    private ClusterReadings() {}

    private static JsonNode flink(RehearsalCluster cluster, String path) throws Exception {
        URI uri = cluster.flink(path);
        return Json.MAPPER.readTree(
                HTTP.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                        .body());
    }

    /** Records the segmentation operator has read (events and definitions), over its subtasks. */
    static long readRecords(RehearsalCluster cluster, String job) throws Exception {
        for (JsonNode v : flink(cluster, "/jobs/" + job).path("vertices")) {
            if (v.path("name").asText().startsWith("Segmentation")) {
                return v.path("metrics").path("read-records").asLong();
            }
        }
        throw new IllegalStateException("no segmentation vertex in job " + job);
    }

    static JsonNode checkpoints(RehearsalCluster cluster, String job) throws Exception {
        return flink(cluster, "/jobs/" + job + "/checkpoints");
    }

    static long restarts(RehearsalCluster cluster, String job) throws Exception {
        for (JsonNode m : flink(cluster, "/jobs/" + job + "/metrics?get=numRestarts")) {
            return m.path("value").asLong();
        }
        return 0;
    }

    /** The heap in use on the TaskManagers, summed, in MB. */
    static double taskManagerHeapMb(RehearsalCluster cluster) throws Exception {
        double sum = 0;
        for (JsonNode tm : flink(cluster, "/taskmanagers").path("taskmanagers")) {
            for (JsonNode m :
                    flink(
                            cluster,
                            "/taskmanagers/"
                                    + tm.path("id").asText()
                                    + "/metrics?get=Status.JVM.Memory.Heap.Used")) {
                sum += m.path("value").asDouble() / 1e6;
            }
        }
        return sum;
    }

    /** The page Flink process {@code process}'s Prometheus reporter serves. */
    static String scrape(RehearsalCluster cluster, String process) throws Exception {
        HttpResponse<String> r =
                HTTP.send(
                        HttpRequest.newBuilder(cluster.metrics(process)).build(),
                        HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(process + "'s reporter answered " + r.statusCode());
        }
        return r.body();
    }

    /**
     * The samples of the reporters of {@code processes}, summed by metric name (over subtasks,
     * operators and processes).
     */
    static java.util.Map<String, Double> prometheus(RehearsalCluster cluster, String... processes)
            throws Exception {
        java.util.Map<String, Double> out = new java.util.TreeMap<>();
        for (String process : processes) {
            for (String line : scrape(cluster, process).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String name = line.split("[{ ]", 2)[0];
                out.merge(name, sample(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
            }
        }
        return out;
    }

    /** A sample value in Prometheus's text format (no timestamps: Flink's reporter adds none). */
    private static double sample(String value) {
        return switch (value) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(value); // NaN included
        };
    }

    /** The resident memory of each process of the cluster, in MB (from /proc), by name. */
    static java.util.Map<String, Double> rssMb(RehearsalCluster cluster) throws Exception {
        java.util.Map<String, Double> out = new java.util.LinkedHashMap<>();
        for (java.util.Map.Entry<String, Long> p : cluster.pids().entrySet()) {
            Path status = Path.of("/proc", Long.toString(p.getValue()), "status");
            if (!Files.exists(status)) {
                continue;
            }
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    out.put(p.getKey(), Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0);
                }
            }
        }
        return out;
    }
}
