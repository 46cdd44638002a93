package io.cohortflow.core.bench;

import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the core benchmarks and prints each figure against the target: the job must sustain about
 * 100 000 events/s on two cores, so the engine's share of one event must stay well under 20 µs on
 * one core (the other half of the budget goes to RocksDB, serialization and Kafka).
 */
public final class BenchMain {
    private static final double ENGINE_BUDGET_MICROS = 20.0;

    public static void main(String[] args) throws RunnerException {
        Options opts = new OptionsBuilder().include(EngineBenchmark.class.getSimpleName()).build();
        Collection<RunResult> results = new Runner(opts).run();
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
        }
    }
}
