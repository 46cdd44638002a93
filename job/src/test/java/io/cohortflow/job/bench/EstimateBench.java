package io.cohortflow.job.bench;

import io.cohortflow.core.bench.Workload;
import io.cohortflow.core.contract.EstimatePart;
import io.cohortflow.core.contract.EstimateRequest;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.estimate.AudienceEstimate;
import io.cohortflow.job.JobConfig;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.KafkaMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiter;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * How long a draft's estimate takes on the job (RocksDB, parallelism 2, {@code users} users of one
 * workspace, the workload's {@code definitions}): one estimate while the events flow (published
 * when half of them are generated), then, once they are all in, one per sample size, one after the
 * other. Prints per estimate the time from publishing the request to the last subtask's part, the
 * users scanned per second (the population over that time), and the estimate.
 *
 * <pre>
 * java -Xmx6g -Devents=1000000 -Dusers=1000000 -Ddefinitions=10 -cp ... EstimateBench
 * </pre>
 */
public final class EstimateBench {
    private static final long EVENTS = Long.getLong("events", 1_000_000);
    private static final int DEFINITIONS = Integer.getInteger("definitions", 10);
    private static final int[] SAMPLES = {10_000, 1_000, 10_000, 100_000};

    static final Map<String, Long> PUBLISHED = new ConcurrentHashMap<>();
    static final Map<String, List<EstimatePart>> PARTS = new ConcurrentHashMap<>();
    static final Map<String, Long> ANSWERED = new ConcurrentHashMap<>();

    private EstimateBench() {}

    public static void main(String[] args) throws Exception {
        System.out.printf(
                "machine: %d cores, JVM max heap %d MiB; events=%d users=%s definitions=%d%n",
                Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20,
                EVENTS,
                System.getProperty("users", "1000000"),
                DEFINITIONS);
        Path dir = Files.createTempDirectory("bench-estimate");
        JobConfig c = JobBench.config(dir, Map.of());
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(JobBench.flink(dir));
        JobBench.generated(
                        c,
                        EVENTS,
                        new DataGeneratorSource<>(
                                new Requests(),
                                DEFINITIONS + SAMPLES.length,
                                new OneAtATime(),
                                TypeInformation.of(DefinitionUpdate.class)),
                        DEFINITIONS,
                        new PartCollector())
                .build(env);
        org.apache.flink.core.execution.JobClient client = env.executeAsync("estimates");
        long deadline = System.currentTimeMillis() + Duration.ofMinutes(30).toMillis();
        while (ANSWERED.size() < SAMPLES.length && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        client.cancel().get();
        JobBench.delete(dir);
        for (int k = 0; k < SAMPLES.length; k++) {
            String id = "e" + k;
            Long answered = ANSWERED.get(id);
            if (answered == null) {
                System.out.printf("FIGURE estimate %s: no answer%n", id);
                continue;
            }
            List<EstimatePart> parts = PARTS.get(id);
            List<AudienceEstimate.Stratum> strata = new ArrayList<>();
            parts.forEach(
                    p ->
                            strata.add(
                                    new AudienceEstimate.Stratum(
                                            p.population(), p.sampled(), p.matched())));
            AudienceEstimate e = AudienceEstimate.of(strata);
            double secs = (answered - PUBLISHED.get(id)) / 1000.0;
            System.out.printf(
                    "FIGURE estimate, sample %d, %s: answered in %.2f s (%.0f users scanned/s);"
                            + " population %d, sampled %d, matched %d: size %d [%d, %d]%n",
                    SAMPLES[k],
                    k == 0 ? "while the events flow" : "events idle",
                    secs,
                    e.population() / secs,
                    e.population(),
                    e.sampled(),
                    e.matched(),
                    e.size(),
                    e.low(),
                    e.high());
        }
        System.exit(0);
    }

    /** The workload's definitions, then the estimate requests. */
    static final class Requests implements GeneratorFunction<Long, DefinitionUpdate> {
        @Override
        public DefinitionUpdate map(Long i) throws Exception {
            if (i < DEFINITIONS) {
                return JobBench.update("s" + i, Workload.definition(i.intValue()), i);
            }
            int k = (int) (i - DEFINITIONS);
            String id = "e" + k;
            EstimateRequest r =
                    new EstimateRequest(
                            id,
                            "ws",
                            Json.MAPPER.readTree(Workload.definition(7)),
                            SAMPLES[k],
                            k,
                            System.currentTimeMillis() + Duration.ofMinutes(10).toMillis());
            PUBLISHED.put(id, System.currentTimeMillis());
            return DefinitionUpdate.estimate(id, Json.bytes(r), k);
        }
    }

    /**
     * The definitions at once; the first estimate when half the events are generated; each next one
     * when every event is generated and the previous estimate answered. Never blocks the source's
     * thread (it must keep handling checkpoint barriers).
     */
    static final class OneAtATime implements RateLimiterStrategy<SourceSplit> {
        @Override
        public RateLimiter<SourceSplit> createRateLimiter(int parallelism) {
            return new RateLimiter<>() {
                private int given;

                @Override
                public CompletionStage<Void> acquire(int permits) {
                    int k = given++ - DEFINITIONS;
                    if (k < 0) {
                        return CompletableFuture.completedFuture(null);
                    }
                    return CompletableFuture.runAsync(
                            () -> {
                                try {
                                    while (k == 0
                                            ? JobBench.GENERATED.get() < EVENTS / 2
                                            : JobBench.DONE_AT.get() == 0
                                                    || !ANSWERED.containsKey("e" + (k - 1))) {
                                        Thread.sleep(20);
                                    }
                                    if (k == 1) {
                                        Thread.sleep(3_000); // the last events through the job
                                    }
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            });
                }
            };
        }
    }

    /** Collects the estimate parts from the side output; notes when each estimate is whole. */
    static final class PartCollector implements Sink<KafkaMessage> {
        @Override
        public SinkWriter<KafkaMessage> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(KafkaMessage m, Context ctx) throws java.io.IOException {
                    if (m.key == null || !m.key.startsWith(EstimatePart.KEY_PREFIX)) {
                        return;
                    }
                    EstimatePart p = Json.read(m.value, EstimatePart.class);
                    List<EstimatePart> parts =
                            PARTS.computeIfAbsent(
                                    p.requestId(),
                                    id -> new java.util.concurrent.CopyOnWriteArrayList<>());
                    parts.add(p);
                    if (parts.size() == p.subtasks()) {
                        ANSWERED.put(p.requestId(), System.currentTimeMillis());
                    }
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
