package io.cohortflow.deploy;

import io.cohortflow.job.JobConfig;
import io.cohortflow.service.config.ApiKeySettings;
import io.cohortflow.service.segmentation.SegmentationConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;

/** The repository, the build's outputs and the code's own names, as the deployment sees them. */
final class Repo {
    static final Path ROOT =
            Path.of(System.getProperty("cohortflow.repoRoot", "..")).toAbsolutePath().normalize();
    static final String VERSION = System.getProperty("cohortflow.version");
    static final String FLINK_VERSION = System.getProperty("cohortflow.flinkVersion");
    static final String KAFKA_VERSION = System.getProperty("cohortflow.kafkaVersion");
    static final String JOB_IMAGE = "cohortflow/job:" + VERSION;
    static final String SERVICE_IMAGE = "cohortflow/service:" + VERSION;
    static final Path JOB_JAR = ROOT.resolve("job-dist/target/cohortflow-job.jar");
    static final Path SERVICE_JAR = ROOT.resolve("service-dist/target/cohortflow-service.jar");

    private Repo() {}

    /**
     * Every environment variable the job reads under its current name (deprecated names work but a
     * manifest of this repository uses none).
     */
    static Set<String> jobEnvNames() {
        Set<String> out = new TreeSet<>();
        JobConfig.ALL.forEach(s -> out.add(s.envName()));
        return out;
    }

    /** Every environment variable the service container reads, likewise. */
    static Set<String> serviceEnvNames() {
        Set<String> out = new TreeSet<>();
        SegmentationConfig.ALL.forEach(s -> out.add(s.envName()));
        out.addAll(
                List.of(
                        ApiKeySettings.ENV_API_KEY,
                        ApiKeySettings.ENV_API_TOKEN,
                        ApiKeySettings.ENV_ORG,
                        "COHORTFLOW_CONFIG"));
        return out;
    }

    static String mainClass(Path jar) {
        try (JarFile j = new JarFile(jar.toFile())) {
            return j.getManifest().getMainAttributes().getValue("Main-Class");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean hasClass(Path jar, String className) {
        try (JarFile j = new JarFile(jar.toFile())) {
            return j.getEntry(className.replace('.', '/') + ".class") != null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A Dockerfile's instructions (continuation lines joined, comments dropped). */
    record Instruction(String op, String args) {}

    static List<Instruction> dockerfile(Path file) {
        List<Instruction> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : read(file).split("\n")) {
            String t = line.strip();
            if (cur.isEmpty() && (t.isEmpty() || t.startsWith("#"))) {
                continue;
            }
            if (t.endsWith("\\")) {
                cur.append(t, 0, t.length() - 1).append(' ');
                continue;
            }
            cur.append(t);
            String s = cur.toString().strip();
            int sp = s.indexOf(' ');
            out.add(new Instruction(s.substring(0, sp).toUpperCase(), s.substring(sp + 1).strip()));
            cur.setLength(0);
        }
        return out;
    }

    /** COPY instructions as source -> destination, flags (--chown) left out. */
    static Map<String, String> copies(List<Instruction> instructions) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Instruction i : instructions) {
            if (i.op().equals("COPY")) {
                List<String> parts =
                        new ArrayList<>(
                                List.of(i.args().split("\\s+")).stream()
                                        .filter(p -> !p.startsWith("--"))
                                        .toList());
                String dest = parts.remove(parts.size() - 1);
                parts.forEach(src -> out.put(src, dest));
            }
        }
        return out;
    }

    /**
     * Whether the build context keeps {@code path} under the root .dockerignore: Docker's rules,
     * the last pattern matching the path or one of its parents decides, {@code !} lets it in.
     */
    static boolean inContext(String path) {
        List<String> rules =
                read(ROOT.resolve(".dockerignore"))
                        .lines()
                        .map(String::strip)
                        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                        .toList();
        boolean excluded = false;
        String p = stripSlash(path);
        for (String rule : rules) {
            boolean exception = rule.startsWith("!");
            String glob = stripSlash(exception ? rule.substring(1) : rule);
            PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + glob);
            for (Path q = Path.of(p); q != null; q = q.getParent()) {
                if (m.matches(q)) {
                    excluded = !exception;
                    break;
                }
            }
        }
        return !excluded;
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
