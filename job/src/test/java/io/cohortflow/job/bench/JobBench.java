package io.cohortflow.job.bench;

import io.cohortflow.core.bench.Workload;
import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.core.event.Event;
import io.cohortflow.job.CohortflowJob;
import io.cohortflow.job.JobConfig;
import io.cohortflow.job.SegmentationFunction;
import io.cohortflow.job.SegmentationSettings;
import io.cohortflow.job.kafka.KafkaConnectors;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.EventsCodec;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import io.cohortflow.kafka.CohortflowTopics;
import io.cohortflow.kafka.EmbeddedKafka;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The job's benchmark harness. In one run, on RocksDB with incremental checkpoints every 5 s and
 * parallelism 2, it measures and prints:
 *
 * <ol>
 *   <li>the floor: a generator into a keyed function doing one MapState get and put per event, and
 *       two floor-plus variants that show what each part of the job's per-event state access costs:
 *       a 400-byte value read and written per event (a profile), and that plus one blind 50-byte
 *       MapState put (a history entry);
 *   <li>the job on the same generator at the given number of users, for each definition count, as
 *       events/s and as a ratio of the floor, with the membership changes it emitted per event (its
 *       output, which grows with the number of related segments) and checkpointed state bytes per
 *       user; the definitions are read first, as the real job reads its log before evaluating;
 *   <li>a rollout: one new definition published halfway through the events, the time from
 *       publishing it to it being live on every subtask (new events see it) and to it being applied
 *       to every user held (the sweeps done), and the event rate while the sweeps ran as a share of
 *       the rate before;
 *   <li>Kafka to job to Kafka on the embedded broker (JSON in, exactly-once memberships out).
 * </ol>
 *
 * System properties of the benchmark's JVM (pass them with {@code java -D...}; {@code mvn -D} does
 * not reach the forked JVM): {@code events} (default 3 000 000), {@code users} (1 000 000), {@code
 * definitions} (comma-separated, default 10,1000), {@code mix} ({@code mixed}, or {@code padded}:
 * the mix's first 10 and unrelated ones, see {@code Workload.paddedCatalog}), {@code kafkaEvents}
 * (500 000), {@code only=kafka} for the Kafka run alone, {@code visitEvents} (how a user's events
 * fall into visits, see {@link #VISIT_EVENTS}). Each figure is printed as soon as it is measured
 * ({@code FIGURE} lines), and the event rate every 10 s ({@code PROGRESS}). {@code
 * checkpointInterval} (default "5 s") sets the checkpoint interval of every run; {@code
 * flink.<key>} sets a Flink setting (an A/B of RocksDB's options, for example).
 */
public final class JobBench {
    private static final long EVENTS = Long.getLong("events", 3_000_000);
    private static final int USERS = Integer.getInteger("users", 1_000_000);
    private static final long KAFKA_EVENTS = Long.getLong("kafkaEvents", 500_000);
    private static final boolean STATE_WRITES = Boolean.getBoolean("stateWrites");

    /**
     * How much event time the run's events span ({@code span}, a duration; default 10 days, inside
     * every window's reach). A span of about the run's own length ({@code -Dspan=PT1M}) gives event
     * time that moves with the clock, as live traffic's does; the default compresses days into the
     * run, as a job catching up a backlog sees them.
     */
    private static final Duration SPAN = Duration.parse(System.getProperty("span", "P10D"));

    /**
     * The workload's definitions: {@code mixed}, or {@code padded} (see Workload#paddedCatalog).
     */
    private static final String MIX = System.getProperty("mix", "mixed");

    /**
     * How a user's events fall into visits ({@code visitEvents}): 0 (the default), the k-th event
     * in visit k mod 5, so that every event is of another visit than the one before; n, visits of n
     * events in a row, as one visitor's are.
     */
    private static final int VISIT_EVENTS = Integer.getInteger("visitEvents", 0);

    private static final long BASE = Instant.now().minus(SPAN.multipliedBy(2)).toEpochMilli();

    /**
     * Event {@code i}'s time: the events spread evenly over {@link #SPAN}. (A whole-millisecond
     * step made a short span longer than asked: 1 200 000 events over "one minute" spanned 20
     * minutes and ran past the job's allowed future skew, so most were dead-lettered, not
     * evaluated.)
     */
    private static long eventTime(long i) {
        return BASE + i * SPAN.toMillis() / Math.max(1, EVENTS);
    }

    /** Events generated so far; the late definition waits for all of them. */
    static final AtomicLong GENERATED = new AtomicLong();

    static final AtomicLong LATE_PUBLISHED_AT = new AtomicLong();
    static final AtomicLong GENERATED_AT_PUBLISH = new AtomicLong();

    /** When the last event was generated (0 until then). */
    static final AtomicLong DONE_AT = new AtomicLong();

    /** Applied reports, each with the events generated when it arrived. */
    static final ConcurrentLinkedQueue<Map.Entry<String, Long>> APPLIED =
            new ConcurrentLinkedQueue<>();

    public static void main(String[] args) throws Exception {
        try {
            run();
        } catch (Throwable e) {
            // As below, and the more so here: a phase that failed left its cluster's threads.
            e.printStackTrace();
            System.exit(1);
        }
        // The phases' local clusters leave threads behind that are not daemons (pools of
        // Flink's or its libraries', idle): without an exit the JVM waited for them for good,
        // its progress thread printing on, and the next benchmark ran beside it.
        System.out.flush();
        System.exit(0);
    }

    private static void run() throws Exception {
        List<String> report = new ArrayList<>();
        report.add(
                String.format(
                        "machine: %d cores, JVM max heap %d MiB",
                        Runtime.getRuntime().availableProcessors(),
                        Runtime.getRuntime().maxMemory() >> 20));
        report.add(
                String.format(
                        "events=%d users=%d state=rocksdb incremental checkpoints every %s, parallelism 2",
                        EVENTS, USERS, System.getProperty("checkpointInterval", "5 s")));
        if ("kafka".equals(System.getProperty("only"))) {
            System.out.println("FIGURE " + kafka());
            return;
        }
        Thread progress = new Thread(JobBench::progress, "bench-progress");
        progress.setDaemon(true);
        progress.start();
        String[] definitionCounts = System.getProperty("definitions", "10,1000").split(",");
        if (!"false".equals(System.getProperty("warmup"))) {
            // The engine's code is compiled while the first job phase runs: in a one-minute phase
            // the JIT compiler took a fifth of the machine's CPU and the phase ran at 0.70 of the
            // same phase run again (2026-12-03). A job runs for days; its figure is the warm one,
            // as JMH measures after warm-up. The warm-up phase is the largest one, not reported.
            int largest = 0;
            for (String d : definitionCounts) {
                largest = Math.max(largest, Integer.parseInt(d.trim()));
            }
            job(largest, Double.NaN, true)
                    .forEach(f -> System.out.println("WARM-UP (not a figure) " + f));
        }
        double floor = floor(new GetPut());
        report.add(
                String.format(
                        "floor (one MapState get+put per event): %.0f events/s; %s",
                        floor, lastFloorCpu));
        System.out.println("FIGURE " + report.get(report.size() - 1));
        if (!"false".equals(System.getProperty("floorPlus"))) {
            for (boolean history : new boolean[] {false, true}) {
                double plus = floor(new ValueGetPut(history));
                report.add(
                        String.format(
                                "floor plus: %s: %.0f events/s (%.2f of the floor); %s",
                                history
                                        ? "a 400-byte value get+put and a blind 50-byte MapState put"
                                        : "a 400-byte value get+put per event",
                                plus,
                                plus / floor,
                                lastFloorCpu));
                System.out.println("FIGURE " + report.get(report.size() - 1));
            }
        }
        // -Daudiences=true,false: each definition count with the audience counting and without
        // (cohortflow.job.audiences), alternately, for the cost of counting in one run.
        String[] audiences = System.getProperty("audiences", "true").split(",");
        for (String d : definitionCounts) {
            int defs = Integer.parseInt(d.trim());
            for (String a : audiences) {
                List<String> figures = job(defs, floor, Boolean.parseBoolean(a.trim()));
                figures.forEach(f -> System.out.println("FIGURE " + f));
                report.addAll(figures);
            }
        }
        if (KAFKA_EVENTS > 0) {
            report.add(kafka());
        }
        System.out.println();
        System.out.println("==== Cohortflow job benchmark ====");
        report.forEach(System.out::println);
    }

    /** Prints the generation rate every 10 s: held to the processing rate by backpressure. */
    private static void progress() {
        long last = GENERATED.get();
        while (true) {
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException e) {
                return;
            }
            long now = GENERATED.get();
            System.out.printf(
                    "PROGRESS generated %d events, %.0f events/s over the last 10 s%n",
                    now, (now - last) / 10.0);
            last = now;
        }
    }

    static Configuration flink(Path checkpoints) {
        Configuration c = CohortflowJob.flinkConfiguration(config(checkpoints, Map.of()));
        c.setString(
                "execution.checkpointing.interval",
                System.getProperty("checkpointInterval", "5 s"));
        c.setString("taskmanager.memory.managed.size", "1g");
        if (System.getProperty("bloom") != null) { // an A/B of the job's Bloom filters
            c.setString("state.backend.rocksdb.use-bloom-filter", System.getProperty("bloom"));
        }
        // -DstateWrites=true: RocksDB's byte counters, for the bytes the job's state writes per
        // event (RocksDB's statistics cost CPU, so they are off for the rates).
        if (STATE_WRITES) {
            StateWrites.SETTINGS.forEach(c::setString);
        }
        // Any other Flink setting for an A/B, as -Dflink.<key>=<value>.
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("flink.")) {
                c.setString(name.substring("flink.".length()), System.getProperty(name));
            }
        }
        return c;
    }

    static JobConfig config(Path checkpoints, Map<String, String> extra) {
        Map<String, String> s = new HashMap<>(extra);
        s.put(JobConfig.CHECKPOINT_DIR.key(), checkpoints.toUri().toString());
        s.put(JobConfig.PARALLELISM.key(), "2");
        return JobConfig.from(s);
    }

    // ---- the floor ---------------------------------------------------------------------------

    static final class GetPut extends KeyedProcessFunction<String, Inbound, Long> {
        private transient MapState<Long, Long> state;

        @Override
        public void open(OpenContext ctx) {
            state =
                    getRuntimeContext()
                            .getMapState(new MapStateDescriptor<>("floor", Types.LONG, Types.LONG));
        }

        @Override
        public void processElement(Inbound in, Context ctx, Collector<Long> out) throws Exception {
            Long v = state.get(1L);
            state.put(1L, v == null ? 1 : v + 1);
        }
    }

    /** A 400-byte value read and written per event, and with {@code history} a 50-byte put. */
    static final class ValueGetPut extends KeyedProcessFunction<String, Inbound, Long> {
        private final boolean history;
        private transient org.apache.flink.api.common.state.ValueState<byte[]> profile;
        private transient MapState<Long, byte[]> entries;

        ValueGetPut(boolean history) {
            this.history = history;
        }

        @Override
        public void open(OpenContext ctx) {
            profile =
                    getRuntimeContext()
                            .getState(
                                    new org.apache.flink.api.common.state.ValueStateDescriptor<>(
                                            "profile",
                                            org.apache.flink.api.common.typeinfo
                                                    .PrimitiveArrayTypeInfo
                                                    .BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
            entries =
                    getRuntimeContext()
                            .getMapState(
                                    new MapStateDescriptor<>(
                                            "history",
                                            Types.LONG,
                                            org.apache.flink.api.common.typeinfo
                                                    .PrimitiveArrayTypeInfo
                                                    .BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        }

        @Override
        public void processElement(Inbound in, Context ctx, Collector<Long> out) throws Exception {
            byte[] v = profile.value();
            if (v == null) {
                v = new byte[400];
            }
            v[0]++;
            profile.update(v);
            if (history) {
                entries.put(in.eventTime, new byte[50]);
            }
        }
    }

    /** The CPU per event of the last floor run ({@link TaskCpu#figure}). */
    private static String lastFloorCpu = "";

    private static double floor(KeyedProcessFunction<String, Inbound, Long> function)
            throws Exception {
        GENERATED.set(0);
        Path dir = Files.createTempDirectory("bench-floor");
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(flink(dir));
        env.fromSource(
                        new DataGeneratorSource<>(
                                JobBench::event, EVENTS, TypeInformation.of(Inbound.class)),
                        org.apache.flink.api.common.eventtime.WatermarkStrategy.noWatermarks(),
                        "generator")
                .keyBy(Inbound::getKey)
                .process(function)
                .sinkTo(new DiscardingSink<>());
        long t = System.nanoTime();
        TaskCpu cpu = TaskCpu.start("KeyedProcess", EVENTS, GENERATED::get);
        env.execute("floor");
        double secs = (System.nanoTime() - t) / 1e9;
        lastFloorCpu = cpu.figure();
        delete(dir);
        return EVENTS / secs;
    }

    // ---- the job -------------------------------------------------------------------------------

    static Inbound event(Long index) {
        // The generator's index is not a sequence across readers (each reader's split starts at
        // its share of Long.MAX_VALUE, so reader 1's users overlapped reader 0's and 1 M "users"
        // were 887 904 until 2026-12-03): the events are numbered as they are generated instead.
        long i = GENERATED.incrementAndGet() - 1;
        if (i + 1 == EVENTS) {
            DONE_AT.set(System.currentTimeMillis());
        }
        Random r = new Random(i * 31 + 7);
        int user = (int) (i % USERS);
        long k = i / USERS; // the user's k-th event
        int visit = (int) (VISIT_EVENTS == 0 ? k % 5 : k / VISIT_EVENTS);
        Event e = Workload.event(r, eventTime(i), visit);
        Inbound in = new Inbound();
        in.workspace = "ws";
        in.userId = "u" + user;
        in.key = "ws/u" + user;
        in.events = EventsCodec.encode(List.of(e));
        in.eventTime = e.time();
        return in;
    }

    private static List<String> job(int definitions, double floor, boolean audiences)
            throws Exception {
        GENERATED.set(0);
        DONE_AT.set(0);
        MEMBERSHIPS.set(0);
        AUDIENCES.set(0);
        DEAD_LETTERS.set(0);
        APPLIED.clear();
        Path dir = Files.createTempDirectory("bench-job");
        JobConfig c = config(dir, Map.of(JobConfig.AUDIENCES.key(), Boolean.toString(audiences)));
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(flink(dir));
        DataGeneratorSource<DefinitionUpdate> defSource =
                new DataGeneratorSource<>(
                        new Definitions(definitions),
                        definitions + 1,
                        new AfterTheEvents(definitions),
                        TypeInformation.of(DefinitionUpdate.class));
        // As the real job starts: users are evaluated once the definitions the log held at
        // start are read (the late one comes after them).
        generated(c, EVENTS, defSource, definitions, new AppliedCollector()).build(env);
        long start = System.currentTimeMillis();
        StateWrites.reset();
        org.apache.flink.core.execution.JobClient client = env.executeAsync("job-" + definitions);
        TaskCpu cpu = TaskCpu.start("Segmentation", EVENTS, GENERATED::get);
        // The sources never end (an ended source would release a final watermark and fire every
        // timer of every user): wait for every event and for the late definition applied on both
        // subtasks, then cancel.
        long deadline = System.currentTimeMillis() + Duration.ofMinutes(40).toMillis();
        while ((reports("late", "applied").size() < 2 || DONE_AT.get() == 0)
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        // Read while the job runs: its RocksDB instances (and their counters) close with it.
        long written = StateWrites.sum("bytes_written");
        long compacted = StateWrites.sum("compact_write_bytes");
        String cpuFigure = cpu.figure();
        client.cancel().get();
        long published = LATE_PUBLISHED_AT.get();
        Map.Entry<Long, Long> live = last(reports("late", "live"));
        Map.Entry<Long, Long> applied = last(reports("late", "applied"));
        // Generation is held to processing by backpressure: events generated are events taken.
        double before = GENERATED_AT_PUBLISH.get() / ((published - start) / 1000.0);
        long rolloutEnd = Math.min(applied.getKey(), DONE_AT.get());
        long during =
                (rolloutEnd == applied.getKey() ? applied.getValue() : EVENTS)
                        - GENERATED_AT_PUBLISH.get();
        double duringRate = during / Math.max(0.001, (rolloutEnd - published) / 1000.0);
        // The same phase of the workload without a sweep (events after it, if any): the users'
        // second and later events cost more than their first, so "before" flatters the sweep.
        double afterRate =
                applied.getKey() < DONE_AT.get()
                        ? (EVENTS - applied.getValue())
                                / Math.max(0.001, (DONE_AT.get() - applied.getKey()) / 1000.0)
                        : Double.NaN;
        double rate = EVENTS / ((DONE_AT.get() - start) / 1000.0);
        long memberships = MEMBERSHIPS.get();
        long stateBytes = size(dir);
        delete(dir);
        List<String> figures = new ArrayList<>();
        if (STATE_WRITES) {
            figures.add(
                    String.format(
                            "job, %d "
                                    + MIX
                                    + " definitions: state writes per event: %.0f bytes by the job (RocksDB puts and deletes, uncompressed), %.0f by compactions",
                            definitions,
                            written / (double) EVENTS,
                            compacted / (double) EVENTS));
        }
        figures.addAll(
                List.of(
                        String.format(
                                "job, %d "
                                        + MIX
                                        + " definitions%s: %.0f events/s (%.2f of the floor); %.1f membership changes out per event (%.0f/s); %.3f audience records per event; %d dead letters; checkpointed state %d MiB = %d bytes/user; %s",
                                definitions,
                                audiences ? "" : " without audiences",
                                rate,
                                rate / floor,
                                memberships / (double) EVENTS,
                                memberships / ((DONE_AT.get() - start) / 1000.0),
                                AUDIENCES.get() / (double) EVENTS,
                                DEAD_LETTERS.get(),
                                stateBytes >> 20,
                                stateBytes / USERS,
                                cpuFigure),
                        String.format(
                                "job, %d "
                                        + MIX
                                        + " definitions: one new definition published mid-stream: live on every subtask in %.2f s, applied to all %d users in %.2f s; events/s while the sweeps ran %.0f = %.2f of the %.0f before, %.2f of the %.0f after",
                                definitions,
                                (live.getKey() - published) / 1000.0,
                                USERS,
                                (applied.getKey() - published) / 1000.0,
                                duringRate,
                                duringRate / before,
                                before,
                                duringRate / afterRate,
                                afterRate)));
        return figures;
    }

    /** The applied reports of segment {@code id} with {@code status}: (time, events generated). */
    private static List<Map.Entry<Long, Long>> reports(String id, String status) throws Exception {
        List<Map.Entry<Long, Long>> out = new ArrayList<>();
        for (Map.Entry<String, Long> a : APPLIED) {
            var n = Json.MAPPER.readTree(a.getKey());
            if (n.get("id").asText().equals(id) && n.get("status").asText().equals(status)) {
                out.add(
                        Map.entry(
                                Instant.parse(n.get("applied_at").asText()).toEpochMilli(),
                                a.getValue()));
            }
        }
        return out;
    }

    private static Map.Entry<Long, Long> last(List<Map.Entry<Long, Long>> reports) {
        return reports.stream().max(Map.Entry.comparingByKey()).orElse(Map.entry(0L, 0L));
    }

    /**
     * Lets through {@code total} events across all readers, then none, without ending the source.
     */
    static final class StopAfter
            implements org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy<
                    org.apache.flink.api.connector.source.SourceSplit> {
        private final long total;

        StopAfter(long total) {
            this.total = total;
        }

        @Override
        public org.apache.flink.api.connector.source.util.ratelimit.RateLimiter<
                        org.apache.flink.api.connector.source.SourceSplit>
                createRateLimiter(int parallelism) {
            long mine = total / parallelism;
            return new org.apache.flink.api.connector.source.util.ratelimit.RateLimiter<>() {
                private long given;

                @Override
                public java.util.concurrent.CompletionStage<Void> acquire(int permits) {
                    return given++ < mine
                            ? java.util.concurrent.CompletableFuture.completedFuture(null)
                            : new java.util.concurrent.CompletableFuture<>();
                }
            };
        }
    }

    /** The workload's definitions, then a late one (see {@link AfterTheEvents}). */
    static final class Definitions
            implements org.apache.flink.connector.datagen.source.GeneratorFunction<
                    Long, DefinitionUpdate> {
        private final int definitions;

        Definitions(int definitions) {
            this.definitions = definitions;
        }

        @Override
        public DefinitionUpdate map(Long i) {
            if (i < definitions) {
                return update(
                        Workload.id(MIX, i.intValue()), Workload.definition(MIX, i.intValue()), i);
            }
            LATE_PUBLISHED_AT.set(System.currentTimeMillis());
            GENERATED_AT_PUBLISH.set(GENERATED.get());
            return update("late", Workload.definition(7), definitions);
        }
    }

    /**
     * Holds back the late definition until half the events were generated, without blocking the
     * source's thread (which must keep handling checkpoint barriers, or the aligned checkpoint
     * would stall the events behind it).
     */
    static final class AfterTheEvents
            implements org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy<
                    org.apache.flink.api.connector.source.SourceSplit> {
        private final int definitions;

        AfterTheEvents(int definitions) {
            this.definitions = definitions;
        }

        @Override
        public org.apache.flink.api.connector.source.util.ratelimit.RateLimiter<
                        org.apache.flink.api.connector.source.SourceSplit>
                createRateLimiter(int parallelism) {
            return new org.apache.flink.api.connector.source.util.ratelimit.RateLimiter<>() {
                private int given;

                @Override
                public java.util.concurrent.CompletionStage<Void> acquire(int permits) {
                    if (given++ < definitions) {
                        return java.util.concurrent.CompletableFuture.completedFuture(null);
                    }
                    return java.util.concurrent.CompletableFuture.runAsync(
                            () -> {
                                try {
                                    while (GENERATED.get() < EVENTS / 2) {
                                        Thread.sleep(20);
                                    }
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            });
                }
            };
        }
    }

    static DefinitionUpdate update(String id, String definition, long offset) {
        String json =
                "{\"workspace\":\"ws\",\"id\":\""
                        + id
                        + "\",\"version\":1,\"replaces\":0,\"published\":true,\"deleted\":false,\"definition\":"
                        + definition
                        + "}";
        return new DefinitionUpdate("ws/" + id, json.getBytes(StandardCharsets.UTF_8), offset);
    }

    /**
     * The job on {@code events} generated events (never ending: see {@link StopAfter}), with the
     * definitions from {@code definitions} (the first {@code live} of them read before users are
     * evaluated), memberships and audiences counted, side records to {@code side}.
     */
    static CohortflowJob generated(
            JobConfig c,
            long events,
            Source<DefinitionUpdate, ?, ?> definitions,
            int live,
            Sink<KafkaMessage> side) {
        return new CohortflowJob(
                new DataGeneratorSource<>(
                        JobBench::event,
                        Long.MAX_VALUE,
                        new StopAfter(events),
                        TypeInformation.of(Inbound.class)),
                definitions,
                new MembershipCounter(),
                new MembershipCounter(),
                side,
                c,
                new SegmentationFunction(SegmentationSettings.of(c, live, true)));
    }

    /** Membership changes the job emitted in the current phase (counted, then discarded). */
    static final AtomicLong MEMBERSHIPS = new AtomicLong();

    /** Audience records the job emitted in the current phase (counted apart, then discarded). */
    static final AtomicLong AUDIENCES = new AtomicLong();

    /**
     * Counts the membership changes, the job's output, which grows with related segments, and apart
     * from them the audience records that go to the same exactly-once sink.
     */
    static final class MembershipCounter implements Sink<KafkaMessage> {
        @Override
        public SinkWriter<KafkaMessage> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(KafkaMessage m, Context ctx) {
                    if (m.topic.endsWith("audiences")) {
                        AUDIENCES.incrementAndGet();
                    } else {
                        MEMBERSHIPS.incrementAndGet();
                    }
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }

    /**
     * Dead letters of the current phase: the workload's events are all valid, so any here were not
     * evaluated, and a rate that counts them flatters the job (the figure line says how many).
     */
    static final AtomicLong DEAD_LETTERS = new AtomicLong();

    static final class AppliedCollector implements Sink<KafkaMessage> {
        @Override
        public SinkWriter<KafkaMessage> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(KafkaMessage m, Context ctx) {
                    if (m.topic.equals(TopicNames.DEFAULT.applied())) {
                        APPLIED.add(Map.entry(m.valueText(), GENERATED.get()));
                    } else if (m.topic.equals(TopicNames.DEFAULT.deadLetter())) {
                        DEAD_LETTERS.incrementAndGet();
                    }
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }

    // ---- Kafka end to end ----------------------------------------------------------------------

    private static String kafka() throws Exception {
        Path dir = Files.createTempDirectory("bench-kafka");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            Map<String, String> s = new HashMap<>();
            s.put(CommonSettings.KAFKA_BOOTSTRAP_SERVERS.key(), kafka.bootstrapServers());
            JobConfig c = config(dir, s);
            c =
                    JobConfig.from(
                            new HashMap<>(
                                    Map.of(
                                            CommonSettings.KAFKA_BOOTSTRAP_SERVERS.key(),
                                            kafka.bootstrapServers(),
                                            JobConfig.CHECKPOINT_DIR.key(),
                                            dir.toUri().toString())));
            CohortflowTopics.ensure(kafka.bootstrapServers(), c.topics(), 2);
            try (KafkaProducer<String, String> p =
                    new KafkaProducer<>(
                            Map.of(
                                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    kafka.bootstrapServers(),
                                    ProducerConfig.LINGER_MS_CONFIG,
                                    "20",
                                    ProducerConfig.BATCH_SIZE_CONFIG,
                                    "262144"),
                            new StringSerializer(),
                            new StringSerializer())) {
                for (int i = 0; i < 10; i++) {
                    p.send(
                            new ProducerRecord<>(
                                    c.topics().definitions(),
                                    "ws/s" + i,
                                    "{\"workspace\":\"ws\",\"id\":\"s"
                                            + i
                                            + "\",\"version\":1,\"replaces\":0,\"published\":true,\"deleted\":false,\"definition\":"
                                            + Workload.definition(i)
                                            + "}"));
                }
                Random r = new Random(1);
                for (long i = 0; i < KAFKA_EVENTS; i++) {
                    Event e = Workload.event(r, BASE + i * 1000, 0);
                    String user = "u" + (i % 100_000);
                    String ev =
                            "{\"name\":\""
                                    + e.name()
                                    + "\",\"time\":\""
                                    + Instant.ofEpochMilli(e.time())
                                    + "\",\"properties\":"
                                    + Json.MAPPER.writeValueAsString(e.properties())
                                    + "}";
                    p.send(
                            new ProducerRecord<>(
                                    c.topics().events(),
                                    "ws/" + user,
                                    "{\"workspace\":\"ws\",\"user_id\":\""
                                            + user
                                            + "\",\"events\":["
                                            + ev
                                            + "]}"));
                }
                p.flush();
            }
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(flink(dir));
            new CohortflowJob(
                            KafkaConnectors.events(c),
                            KafkaConnectors.definitions(c),
                            KafkaConnectors.memberships(c),
                            KafkaConnectors.audiences(c),
                            KafkaConnectors.side(c),
                            c,
                            new SegmentationFunction(SegmentationSettings.of(c, 10, true)))
                    .build(env);
            long t = System.nanoTime();
            org.apache.flink.core.execution.JobClient client = env.executeAsync("kafka");
            // A lookup per user of a sample, after all events: in-order per partition, so their
            // replies arrive once everything before them was processed.
            int markers = 200;
            try (KafkaProducer<String, String> p =
                    new KafkaProducer<>(
                            Map.of(
                                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    kafka.bootstrapServers()),
                            new StringSerializer(),
                            new StringSerializer())) {
                for (int i = 0; i < markers; i++) {
                    String user = "u" + (i * 499 % 100_000);
                    p.send(
                            new ProducerRecord<>(
                                    c.topics().events(),
                                    "ws/" + user,
                                    "{\"workspace\":\"ws\",\"user_id\":\""
                                            + user
                                            + "\",\"request_id\":\"m"
                                            + i
                                            + "\",\"events\":[]}"));
                }
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
            while (io.cohortflow.kafka.KafkaTopics.drainValues(
                                    kafka.bootstrapServers(),
                                    c.topics().replies(),
                                    org.apache.kafka.common.IsolationLevel.READ_UNCOMMITTED)
                            .size()
                    < markers) {
                if (System.nanoTime() > deadline) {
                    break;
                }
                Thread.sleep(500);
            }
            double secs = (System.nanoTime() - t) / 1e9;
            client.cancel().get();
            return String.format(
                    "Kafka -> job -> Kafka (embedded broker, JSON envelopes, 10 definitions, 100 000 users, exactly-once memberships): %d events in %.1f s = %.0f events/s",
                    KAFKA_EVENTS, secs, KAFKA_EVENTS / secs);
        } finally {
            delete(dir);
        }
    }

    // ---- files ---------------------------------------------------------------------------------

    private static long size(Path dir) throws IOException {
        // The latest checkpoint's files: incremental checkpoints share files under "shared". The
        // job runs on meanwhile and discards subsumed checkpoints, so a file listed a moment ago
        // may be gone when visited: it no longer counts.
        long[] total = {0};
        Files.walkFileTree(
                dir,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                        if (attrs.isRegularFile()) {
                            total[0] += attrs.size();
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e)
                            throws IOException {
                        if (e instanceof NoSuchFileException) {
                            return FileVisitResult.CONTINUE;
                        }
                        throw e;
                    }
                });
        return total[0];
    }

    /**
     * Deletes {@code dir}. The cancelled job may still be cleaning up its changelog and
     * checkpoints: a file it removed meanwhile is gone, not an error (the walk failed on one, and
     * the benchmark with it).
     */
    static void delete(Path dir) throws IOException {
        Files.walkFileTree(
                dir,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                        file.toFile().delete();
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e)
                            throws IOException {
                        if (e instanceof java.nio.file.NoSuchFileException) {
                            return FileVisitResult.CONTINUE;
                        }
                        throw e;
                    }

                    @Override
                    public FileVisitResult postVisitDirectory(Path d, IOException e) {
                        d.toFile().delete();
                        return FileVisitResult.CONTINUE;
                    }
                });
    }

    private JobBench() {}
}
