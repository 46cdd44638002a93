package io.cohortflow.core.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the core benchmarks and prints each figure against its target: the job must sustain about
 * 100 000 events/s on two cores, so the engine's share of one event must stay well under 20 µs on
 * one core (the other half of the budget goes to RocksDB, serialization and Kafka); against its
 * peer, Cohortflow must be at least as fast as Esper on the cohorts both express.
 *
 * <p>The first argument selects: {@code engine} (the default: {@link EngineBenchmark}), {@code
 * peer} ({@link PeerBenchmark}, a few minutes more, mostly Esper compiling and filling its per-user
 * state), {@code codec} ({@link CodecBenchmark}: a profile written and read, the job's cost per
 * event besides the engine's) or {@code all} (engine and peer). Further arguments are JMH's own
 * options ({@code -wi 1 -i 1 -w 1s -r 1s -p definitions=10} for a smoke run), applied over the
 * classes' annotations.
 */
public final class BenchMain {
    private static final double ENGINE_BUDGET_MICROS = 20.0;

    /** Issue "Engine v2"'s target: at most this per event at 1 000 definitions of the mix. */
    private static final double ENGINE_TARGET_MICROS = 3.0;

    private static final double PEER_GOAL = 1.0;

    public static void main(String[] args) throws RunnerException, CommandLineOptionException {
        String which = args.length > 0 && !args[0].startsWith("-") ? args[0] : "engine";
        List<String> jmhArgs = new ArrayList<>(List.of(args));
        if (!jmhArgs.isEmpty() && !jmhArgs.get(0).startsWith("-")) {
            jmhArgs.remove(0);
        }
        ChainedOptionsBuilder opts =
                new OptionsBuilder().parent(new CommandLineOptions(jmhArgs.toArray(new String[0])));
        switch (which) {
            case "engine" -> opts.include(EngineBenchmark.class.getSimpleName());
            case "peer" -> opts.include(PeerBenchmark.class.getSimpleName());
            case "codec" -> opts.include(CodecBenchmark.class.getSimpleName());
            case "all" ->
                    opts.include(EngineBenchmark.class.getSimpleName())
                            .include(PeerBenchmark.class.getSimpleName());
            default ->
                    throw new IllegalArgumentException(
                            "first argument: engine, peer, codec or all, not " + which);
        }
        Collection<RunResult> results = new Runner(opts.build()).run();
        List<RunResult> engine = new ArrayList<>();
        List<RunResult> peer = new ArrayList<>();
        List<RunResult> codec = new ArrayList<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            if (name.contains(PeerBenchmark.class.getSimpleName())) {
                peer.add(r);
            } else if (name.contains(CodecBenchmark.class.getSimpleName())) {
                codec.add(r);
            } else {
                engine.add(r);
            }
        }
        if (!engine.isEmpty()) {
            printEngine(engine);
        }
        if (!peer.isEmpty()) {
            printPeer(peer);
        }
        if (!codec.isEmpty()) {
            printCodec(codec);
        }
    }

    /** A profile's write and read per number of definitions, beside the engine's per event. */
    private static void printCodec(List<RunResult> results) {
        Map<Integer, Map<String, Double>> byDefinitions = new TreeMap<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            byDefinitions
                    .computeIfAbsent(
                            Integer.parseInt(r.getParams().getParam("definitions")),
                            k -> new TreeMap<>())
                    .put(
                            name.substring(name.lastIndexOf('.') + 1),
                            r.getPrimaryResult().getScore());
        }
        System.out.println();
        System.out.println(
                "definitions  read µs/profile  read+write µs/profile  write µs/profile (difference)");
        for (Map.Entry<Integer, Map<String, Double>> e : byDefinitions.entrySet()) {
            double read = e.getValue().getOrDefault("read", Double.NaN);
            double both = e.getValue().getOrDefault("readWrite", Double.NaN);
            System.out.printf(
                    "%11d  %15.2f  %21.2f  %16.2f%n", e.getKey(), read, both, both - read);
        }
    }

    private static void printEngine(List<RunResult> results) {
        System.out.println();
        System.out.println(
                "mix          definitions  µs/event  events/s/core  budget(µs)  verdict");
        for (RunResult r : results) {
            double us = r.getPrimaryResult().getScore();
            String defs = r.getParams().getParam("definitions");
            System.out.printf(
                    "%-11s  %11s  %8.2f  %13.0f  %10.1f  %s%n",
                    r.getParams().getParam("mix"),
                    defs,
                    us,
                    1e6 / us,
                    ENGINE_BUDGET_MICROS,
                    us <= ENGINE_BUDGET_MICROS ? "within budget" : "OVER BUDGET");
            if (defs.equals("1000") && r.getParams().getParam("mix").equals("mixed")) {
                System.out.printf(
                        "             target at 1 000 mixed: %.1f µs/event, %s%n",
                        ENGINE_TARGET_MICROS, us <= ENGINE_TARGET_MICROS ? "met" : "NOT MET");
            }
        }
    }

    /** Esper's time over Cohortflow's, per number of cohorts: above 1.0x Cohortflow is faster. */
    private static void printPeer(List<RunResult> results) {
        Map<Integer, Map<String, RunResult>> byCohorts = new TreeMap<>();
        for (RunResult r : results) {
            byCohorts
                    .computeIfAbsent(
                            Integer.parseInt(r.getParams().getParam("definitions")),
                            k -> new TreeMap<>())
                    .put(r.getParams().getParam("engine"), r);
        }
        System.out.println();
        System.out.println(
                "cohorts  cohortflow µs/event (±)  esper µs/event (±)  ratio esper/cohortflow  goal  verdict");
        for (Map.Entry<Integer, Map<String, RunResult>> e : byCohorts.entrySet()) {
            RunResult c = e.getValue().get("cohortflow");
            RunResult s = e.getValue().get("esper");
            if (c == null || s == null) {
                System.out.printf("%7d  (both engines are needed for a ratio)%n", e.getKey());
                continue;
            }
            double cs = c.getPrimaryResult().getScore();
            double ss = s.getPrimaryResult().getScore();
            double ratio = ss / cs;
            System.out.printf(
                    "%7d  %12.2f (%8.2f)  %9.2f (%8.2f)  %21.2fx  %3.1fx  %s%n",
                    e.getKey(),
                    cs,
                    c.getPrimaryResult().getScoreError(),
                    ss,
                    s.getPrimaryResult().getScoreError(),
                    ratio,
                    PEER_GOAL,
                    ratio >= PEER_GOAL ? "goal met" : "BELOW GOAL");
        }
    }
}
