package io.cohortflow.launcher;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * {@code launcher/run.sh} as a user runs it, in a process of its own: the script and the JVM are
 * real, only the build they find is this test's classpath. A copy of the script sits in a
 * checkout's layout under {@code root} whose {@code launcher/target/lib} holds one jar naming the
 * test's classpath in its manifest (so the script finds a build newer than any source there and
 * builds nothing); the JVM is the one running the tests.
 */
final class RunScript {
    /** What a run printed and how it ended. */
    record Result(int exit, String out, String err) {}

    private final Path root;

    RunScript(Path root) throws IOException {
        this.root = root;
        Path script = Path.of("run.sh");
        if (!Files.isRegularFile(script)) {
            script = Path.of("launcher", "run.sh"); // run from the checkout's root
        }
        Path launcher = Files.createDirectories(root.resolve("launcher"));
        Files.copy(
                script,
                launcher.resolve("run.sh"),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.COPY_ATTRIBUTES);
        Path target = Files.createDirectories(launcher.resolve("target"));
        Files.createDirectories(target.resolve("classes"));
        Path lib = Files.createDirectories(target.resolve("lib"));
        Files.write(target.resolve("cohortflow-launcher-test.jar"), new byte[0]);
        // The test's classpath as the jar's Class-Path: URLs, a directory's ending in '/'.
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!e.isBlank()) {
                entries.add(Path.of(e).toAbsolutePath().toUri().toString());
            }
        }
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", entries));
        try (OutputStream o = Files.newOutputStream(lib.resolve("classpath.jar"));
                JarOutputStream jar = new JarOutputStream(o, m)) {
            // the manifest is the whole jar
        }
    }

    /**
     * Runs {@code launcher/run.sh args} with no {@code COHORTFLOW_*} variable of this process's
     * environment but {@code env}'s; waits for it to end (at most 60 s).
     */
    Result run(Map<String, String> env, String... args) throws Exception {
        Running r = start(env, args);
        Process p = r.process();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("launcher/run.sh " + String.join(" ", args) + " ran on");
        }
        return r.result();
    }

    /**
     * A settings file for a start: the data under this run's directory, then {@code lines} ({@code
     * cohortflow.kafka.port=0}, say).
     */
    Path settings(String... lines) throws IOException {
        StringBuilder b =
                new StringBuilder("cohortflow.data-dir=")
                        .append(root.resolve("data").toString().replace("\\", "/"))
                        .append('\n');
        for (String line : lines) {
            b.append(line).append('\n');
        }
        return Files.writeString(root.resolve("c.properties"), b.toString());
    }

    /** A run under way: the process (the JVM: the script execs it) and where its output goes. */
    record Running(Process process, Path out, Path err) {
        /** What it printed so far. */
        String printed() throws IOException {
            return Files.readString(out, StandardCharsets.UTF_8)
                    + Files.readString(err, StandardCharsets.UTF_8);
        }

        /** How it ended; once it has. */
        Result result() throws IOException {
            return new Result(
                    process.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        }
    }

    /** Starts {@code launcher/run.sh args} as {@link #run} does, without waiting for it. */
    Running start(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", "launcher/run.sh"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("COHORTFLOW_"));
        pb.environment()
                .put(
                        "PATH",
                        Path.of(System.getProperty("java.home"), "bin")
                                + java.io.File.pathSeparator
                                + System.getenv().getOrDefault("PATH", ""));
        pb.environment().putAll(env);
        Path out = Files.createTempFile(root, "out", ".txt");
        Path err = Files.createTempFile(root, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        return new Running(pb.start(), out, err);
    }
}
