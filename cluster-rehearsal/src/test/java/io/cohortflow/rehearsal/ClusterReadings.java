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

    /** The resident memory of every process of the cluster, summed, in MB (from /proc). */
    static double rssMb(RehearsalCluster cluster) throws Exception {
        double sum = 0;
        for (long pid : cluster.pids().values()) {
            Path status = Path.of("/proc", Long.toString(pid), "status");
            if (!Files.exists(status)) {
                continue;
            }
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    sum += Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        }
        return sum;
    }
}
