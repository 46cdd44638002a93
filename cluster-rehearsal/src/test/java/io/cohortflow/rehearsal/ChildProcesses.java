package io.cohortflow.rehearsal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * The JVMs of a rehearsal, each started from a classpath with its own log ({@code <name>.log} in
 * the work directory, which starts empty), by name: what the cluster starts, kills and stops.
 */
final class ChildProcesses implements AutoCloseable {
    private static final String JAVA =
            Path.of(System.getProperty("java.home"), "bin", "java").toString();

    static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Path work;
    private final Map<String, Process> processes = new LinkedHashMap<>();

    ChildProcesses(Path work) throws IOException {
        deleteTree(work);
        this.work = Files.createDirectories(work);
    }

    /** Asks {@code uri} until its answer passes {@code done} (a part starting up). */
    static void awaitHttp(
            String what, URI uri, java.util.function.Predicate<HttpResponse<String>> done) {
        Awaitility.await(what)
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .until(
                        () ->
                                done.test(
                                        HTTP.send(
                                                HttpRequest.newBuilder(uri).build(),
                                                HttpResponse.BodyHandlers.ofString())));
    }

    /** A JVM for part {@code name}, its output appended to its log; not started yet. */
    ProcessBuilder java(
            String name,
            String classpath,
            List<String> jvm,
            String main,
            List<String> args,
            Map<String, String> env) {
        List<String> cmd = new ArrayList<>();
        cmd.add(JAVA);
        cmd.addAll(jvm);
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(main);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.directory(work.toFile());
        pb.environment()
                .keySet()
                .removeIf(k -> k.startsWith("COHORTFLOW_") || k.startsWith("FLINK_"));
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve(name + ".log").toFile()));
        return pb;
    }

    void start(String name, ProcessBuilder pb) throws IOException {
        processes.put(name, pb.start());
    }

    /** The process id of each part now running, by name (the soak's memory figures). */
    Map<String, Long> pids() {
        Map<String, Long> out = new LinkedHashMap<>();
        processes.forEach(
                (name, p) -> {
                    if (p.isAlive()) {
                        out.put(name, p.pid());
                    }
                });
        return out;
    }

    /** {@code kill -9} of one part (a fault test's crash). */
    void kill(String name) throws InterruptedException {
        Process p = processes.remove(name);
        if (p != null) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        List<String> names = new ArrayList<>(processes.keySet());
        java.util.Collections.reverse(names);
        for (String n : names) {
            Process p = processes.get(n);
            p.destroy();
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        processes.clear();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    static int freePort() {
        return io.cohortflow.kafka.FreePorts.next();
    }
}
