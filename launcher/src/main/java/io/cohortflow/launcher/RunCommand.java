package io.cohortflow.launcher;

import io.cohortflow.core.config.InvalidSettingException;
import io.cohortflow.core.config.Settings;
import io.cohortflow.service.segmentation.SegmentationConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code cohortflow run [file]}: starts the whole system in this process and stops it cleanly on
 * Ctrl-C or SIGTERM ({@link OrderlyStop}: service, then the job with a final savepoint, then the
 * broker, before the JVM shuts down). Also what {@code cohortflow} alone does.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {
            "Starts the whole system in this process on 127.0.0.1: the Kafka broker (9092), the job"
                    + " on a Flink mini cluster with RocksDB, and the service (8080). Ctrl-C stops"
                    + " it cleanly.",
            "Settings: the properties file, then COHORTFLOW_* environment variables, then the"
                    + " defaults (docs/configuration.md). Data goes to ./data unless"
                    + " COHORTFLOW_DATA_DIR says otherwise."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:stopped cleanly",
            "1:could not start (a port in use, say)",
            "2:wrong arguments or settings"
        })
final class RunCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    /** Environment variables the launcher's scripts and CLI read besides the settings. */
    static final List<String> FAMILIES = families();

    @Spec CommandLine.Model.CommandSpec spec;

    @Parameters(
            arity = "0..1",
            paramLabel = "<cohortflow.properties>",
            description = "The settings file (default: $COHORTFLOW_CONFIG, else none).")
    @Nullable Path config;

    /**
     * The system property {@code launcher/run.sh} sets to {@code true} when it provisioned the key
     * {@code dev-key} itself (no {@code COHORTFLOW_API_KEY} was set): the start says so. The script
     * cannot tell whether its arguments start the system ({@code run.sh segmnets} is a mistyped
     * command, {@code run.sh settings.properties} a start), so the warning is printed here, once
     * the command line and the settings are known good.
     */
    static final String DEV_KEY_PROPERTY = "cohortflow.launcher.dev-key";

    @Override
    public Integer call() throws InterruptedException {
        LauncherConfig config = configuration();
        if (Boolean.getBoolean(DEV_KEY_PROPERTY)) {
            spec.commandLine()
                    .getErr()
                    .println(
                            "no COHORTFLOW_API_KEY set: using API key '"
                                    + System.getenv().getOrDefault("COHORTFLOW_API_KEY", "dev-key")
                                    + "' for workspace '"
                                    + System.getenv().getOrDefault("COHORTFLOW_ORG", "demo")
                                    + "' (loopback only)");
            spec.commandLine().getErr().flush();
        }
        CohortflowStack stack;
        try {
            stack = CohortflowStack.start(config);
        } catch (RuntimeException e) {
            // The causes too: "the job did not start" alone hides the bootstrap file that is
            // missing or the setting that is wrong.
            spec.commandLine()
                    .getErr()
                    .println(
                            "cohortflow could not start: "
                                    + io.cohortflow.job.CommandErrors.reasons(e));
            LOG.debug("start failed", e);
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof InvalidSettingException) {
                    return spec.exitCodeOnInvalidInput(); // a setting read only at start
                }
            }
            return 1;
        }
        // Once everything has read its settings: deprecated names are known only once read.
        config.settings().warnings(LauncherConfig.ALL, FAMILIES).forEach(LOG::warn);
        OrderlyStop stop = OrderlyStop.install(stack);
        spec.commandLine()
                .getOut()
                .printf(
                        "%ncohortflow is up: console and API http://127.0.0.1:%d/  kafka %s%n"
                                + "  Flink web UI %s  data %s%nCtrl-C stops it.%n%n",
                        stack.httpPort(),
                        stack.bootstrapServers(),
                        stack.flinkUiUrl(),
                        config.dataDir());
        spec.commandLine().getOut().flush();
        stop.awaitStopped();
        return 0;
    }

    /**
     * The settings to start with: the file named (or {@code COHORTFLOW_CONFIG}'s), then the
     * environment; a usage error (exit 2) naming the file or the key otherwise.
     */
    LauncherConfig configuration() {
        try {
            Settings settings =
                    Settings.load(Settings.file(config, System.getenv()), System.getenv());
            return LauncherConfig.from(settings);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    private static List<String> families() {
        List<String> out = new ArrayList<>(SegmentationConfig.FAMILIES);
        out.add(LauncherConfig.FLINK_PREFIX);
        out.add(io.cohortflow.job.JobConfig.WORKSPACE);
        out.add(ServiceClient.ENV_URL);
        out.add(io.cohortflow.job.CommandErrors.VERBOSE);
        return List.copyOf(out);
    }
}
