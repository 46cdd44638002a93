package io.cohortflow.launcher;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import javax.annotation.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code launcher/run.sh}'s entry point: starts the whole system in this process and stops it
 * cleanly on Ctrl-C (SIGINT/SIGTERM run the shutdown hook: service, then the job with a final
 * savepoint, then the broker).
 */
public final class Cohortflow {
    private static final Logger LOG = LoggerFactory.getLogger(Cohortflow.class);

    static final String USAGE =
            """
            usage: launcher/run.sh [cohortflow.properties]
                   launcher/run.sh backfill --input <files> --output <dir> [...]

            Starts the whole system in this process on 127.0.0.1: the Kafka broker (9092), the
            job on a Flink mini cluster with RocksDB, and the service (8080). Settings come from
            the properties file (or $COHORTFLOW_CONFIG), then environment variables, then the
            defaults (README.md, docs/job.md, docs/service.md, docs/segmentation.md); data goes
            to ./data unless COHORTFLOW_DATADIR says otherwise. Ctrl-C stops it cleanly.
            The backfill's own options: launcher/run.sh backfill --help (docs/backfill.md).
            """;

    private Cohortflow() {}

    /**
     * What the arguments ask for: to start with {@code config} (null: none), or to exit at once
     * with {@code status} (0 for the usage, 2 for arguments that make no sense) after saying why.
     */
    record Invocation(boolean start, @Nullable Path config, int status) {}

    static Invocation invocation(
            String[] args, @Nullable String envConfig, PrintStream out, PrintStream err) {
        if (args.length == 1 && (args[0].equals("-h") || args[0].equals("--help"))) {
            out.print(USAGE);
            return new Invocation(false, null, 0);
        }
        if (args.length > 1 || (args.length == 1 && args[0].startsWith("-"))) {
            err.println("cohortflow: unexpected arguments: " + String.join(" ", args));
            err.print(USAGE);
            return new Invocation(false, null, 2);
        }
        String file = args.length > 0 ? args[0] : envConfig;
        if (file != null && !Files.isRegularFile(Path.of(file))) {
            err.println("cohortflow: no configuration file " + file);
            return new Invocation(false, null, 2);
        }
        return new Invocation(true, file == null ? null : Path.of(file), 0);
    }

    public static void main(String[] args) throws InterruptedException {
        Invocation asked =
                invocation(args, System.getenv("COHORTFLOW_CONFIG"), System.out, System.err);
        if (!asked.start()) {
            System.exit(asked.status());
            return;
        }
        LauncherConfig config;
        try {
            config = LauncherConfig.load(asked.config(), System.getenv());
        } catch (RuntimeException e) {
            System.err.println("cohortflow: " + e.getMessage());
            System.exit(2);
            return;
        }
        CohortflowStack stack;
        try {
            stack = CohortflowStack.start(config, System.getenv());
        } catch (RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getMessage() == null) {
                root = root.getCause();
            }
            System.err.println("cohortflow could not start: " + e.getMessage());
            LOG.debug("start failed", e);
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    LOG.info("stopping");
                                    stack.close();
                                    LOG.info("stopped");
                                    stopped.countDown();
                                },
                                "cohortflow-shutdown"));
        System.out.printf(
                "%ncohortflow is up: service http://127.0.0.1:%d  kafka %s  data %s%n"
                        + "Ctrl-C stops it.%n%n",
                stack.httpPort(), stack.bootstrapServers(), config.dataDir());
        stopped.await();
    }
}
