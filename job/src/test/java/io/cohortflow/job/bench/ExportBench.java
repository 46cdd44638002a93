package io.cohortflow.job.bench;

import io.cohortflow.core.bench.Workload;
import io.cohortflow.core.contract.MembersExport;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.job.Descriptors;
import io.cohortflow.job.JobConfig;
import io.cohortflow.job.Uids;
import io.cohortflow.job.export.MembersExporter;
import io.cohortflow.job.model.DefinitionUpdate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;

/**
 * The members export's rate: the job (RocksDB, parallelism 2) takes {@code events} events of {@code
 * users} users under the workload's {@code definitions}, stops with a canonical savepoint, and
 * then, in one run, the floor (the State Processor API reading every user's profile, nothing
 * written) and the export (JSON lines, every segment) read that savepoint. Prints users/s of each.
 *
 * <pre>
 * java -Xmx6g -Devents=1000000 -Dusers=1000000 -Ddefinitions=100 -cp ... ExportBench
 * </pre>
 */
public final class ExportBench {
    private static final long EVENTS = Long.getLong("events", 1_000_000);
    private static final int DEFINITIONS = Integer.getInteger("definitions", 100);

    private ExportBench() {}

    public static void main(String[] args) throws Exception {
        System.out.printf(
                "machine: %d cores, JVM max heap %d MiB; events=%d users=%s definitions=%d%n",
                Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20,
                EVENTS,
                System.getProperty("users", "1000000"),
                DEFINITIONS);
        Path dir = Files.createTempDirectory("bench-export");
        JobConfig c = JobBench.config(dir, Map.of());
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(JobBench.flink(dir));
        JobBench.generated(
                        c,
                        EVENTS,
                        new DataGeneratorSource<>(
                                i -> JobBench.update("s" + i, Workload.definition(i.intValue()), i),
                                DEFINITIONS,
                                TypeInformation.of(DefinitionUpdate.class)),
                        DEFINITIONS,
                        new DiscardingSink<>())
                .build(env);
        org.apache.flink.core.execution.JobClient job = env.executeAsync("export-bench-state");
        while (JobBench.DONE_AT.get() == 0) {
            Thread.sleep(100);
        }
        Thread.sleep(5_000); // the last events through the operator
        String savepoint =
                job.stopWithSavepoint(
                                false,
                                dir.resolve("savepoints").toUri().toString(),
                                SavepointFormatType.valueOf(System.getProperty("format", "NATIVE")))
                        .get();
        System.out.println("state written: " + savepoint);
        Path snapshot = Path.of(java.net.URI.create(savepoint));

        long t = System.nanoTime();
        StreamExecutionEnvironment floorEnv = StreamExecutionEnvironment.getExecutionEnvironment();
        floorEnv.setRuntimeMode(RuntimeExecutionMode.BATCH);
        SavepointReader.read(floorEnv, savepoint, new EmbeddedRocksDBStateBackend())
                .readKeyedState(
                        OperatorIdentifier.forUid(Uids.SEGMENTATION),
                        new ReadOnly(),
                        Types.STRING,
                        Types.LONG)
                .sinkTo(new DiscardingSink<>());
        floorEnv.execute("export-bench-floor");
        double floorSecs = (System.nanoTime() - t) / 1e9;

        MembersExport m =
                MembersExporter.run(
                        new MembersExporter.Options(
                                List.of(snapshot),
                                dir.resolve("exports"),
                                MembersExport.JSON_LINES,
                                null,
                                null,
                                1,
                                Duration.ofSeconds(10),
                                null,
                                "none"),
                        new Configuration(),
                        System.out::println);
        double exportSecs = m.durationMs() / 1000.0;
        System.out.printf(
                "FIGURE floor: read every profile of %d users in %.1f s = %.0f users/s%n",
                m.users(), floorSecs, m.users() / floorSecs);
        System.out.printf(
                "FIGURE export: %d members of %d users in %.1f s = %.0f users/s (%.2f of the"
                        + " floor), %.0f members/s%n",
                m.members(),
                m.users(),
                exportSecs,
                m.users() / exportSecs,
                floorSecs / exportSecs,
                m.members() / exportSecs);
        JobBench.delete(dir);
        System.exit(0);
    }

    /** Reads each user's profile and emits nothing: what reading the state costs. */
    static final class ReadOnly extends KeyedStateReaderFunction<String, Long> {
        private transient ValueState<UserProfile> profile;

        @Override
        public void open(OpenContext context) {
            profile = getRuntimeContext().getState(Descriptors.PROFILE);
        }

        @Override
        public void readKey(String key, Context ctx, Collector<Long> out) throws Exception {
            profile.value();
        }
    }
}
