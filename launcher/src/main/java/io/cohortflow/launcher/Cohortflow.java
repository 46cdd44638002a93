package io.cohortflow.launcher;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code launcher/run.sh}'s entry point: starts the whole system in this process and stops it
 * cleanly on Ctrl-C (SIGINT/SIGTERM run the shutdown hook: service, then the job with a final
 * savepoint, then the broker).
 */
public final class Cohortflow {
    private static final Logger LOG = LoggerFactory.getLogger(Cohortflow.class);

    private Cohortflow() {}

    public static void main(String[] args) throws InterruptedException {
        String file = args.length > 0 ? args[0] : System.getenv("COHORTFLOW_CONFIG");
        LauncherConfig config =
                LauncherConfig.load(file == null ? null : Path.of(file), System.getenv());
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
