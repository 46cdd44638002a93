package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.Fixture;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.DefinitionParser;
import io.cohortflow.core.definition.DefinitionWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The property at the heart of the engine: over random definitions and random event streams (late
 * events, gaps across windows and the horizon, the history cap, definitions added and removed
 * midway, timers), the incrementally maintained memberships equal evaluation from scratch over the
 * whole history, at every step. State also goes through its binary codec at every step. Seeded, so
 * a failure names the seed that reproduces it.
 */
class IncrementalEqualsScratchTest {
    private static final int RUNS = Integer.getInteger("runs", 1000);
    private static final long SEED_BASE = Long.getLong("seedBase", 0xC0FFEEL * 31);
    private static final EngineConfig CONFIG =
            new EngineConfig(Duration.ofDays(5), 25, Duration.ofMinutes(5));

    @Test
    void incremental_evaluation_equals_evaluation_from_scratch_at_every_step() {
        long incremental = 0;
        long history = 0;
        long skips = 0;
        long together = 0;
        Set<String> seen = new TreeSet<>();
        for (int run = 0; run < RUNS; run++) {
            long seed = SEED_BASE + run;
            try {
                int[] kinds = runOnce(seed, seen);
                incremental += kinds[0];
                history += kinds[1];
                skips += kinds[2];
                together += kinds[3];
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
            }
        }
        // Both evaluation paths (and the skipped visit evaluations) must have been exercised for
        // the property to mean anything.
        assertThat(incremental).isGreaterThan(RUNS);
        assertThat(history).isGreaterThan(RUNS / 4);
        assertThat(skips).as("visit evaluations skipped by the gate").isGreaterThan(RUNS / 4);
        // Definitions meet other live definitions (shared counters, references, ordinals).
        assertThat(together).as("live segments beside each new definition").isGreaterThan(RUNS);
        // And every kind of construct the generator knows (a kind never generated is a kind never
        // tested: an earlier generator drew relevant-name sets in 4 % of definitions).
        List<String> kinds = new ArrayList<>(EXPECTED_KINDS);
        for (String n : RandomDefinitions.MANY_NAMES) {
            kinds.add("event name " + n);
        }
        assertThat(seen).containsAll(kinds);
    }

    private static final List<String> EXPECTED_KINDS =
            List.of(
                    "numeric range",
                    "nested property path",
                    "list-valued property",
                    "visit container",
                    "segment-ref",
                    "window of minutes",
                    "window of a quarter",
                    "window of years",
                    "sequence sequence",
                    "sequence prefix",
                    "sequence suffix",
                    "sequence time restriction within",
                    "sequence time restriction after",
                    "sequence container restriction within",
                    "sequence container restriction after",
                    "sequence dimension restriction",
                    "sequence exclusion",
                    "sequence leading exclusion",
                    "sequence trailing exclusion",
                    "sequence-and",
                    "sequence-or",
                    "store read through several windows",
                    "history in sealed chunks",
                    "catch-up from the user's side",
                    "history chunk deleted",
                    "history chunk appended to",
                    "visit read from its run",
                    "visit started without a read");

    private static int[] runOnce(long seed, Set<String> seen) {
        Random r = new Random(seed);
        RandomDefinitions gen = new RandomDefinitions(r);
        Fixture f = new Fixture(CONFIG);
        // Half the runs apply definition changes lazily, as the job does: at the user's next
        // event or lapse, or when a sweep reaches them.
        f.lazy = r.nextBoolean();
        // Half the runs keep the history in chunks, as the job does (drawn from the seed, so the
        // runs draw the same definitions and events as before chunks existed).
        f.chunked = seed % 2 == 0;
        // A third of the runs catch up from the user's side whatever the number of changed
        // segments (see CatchUpCandidates), which the job does past 64 of them.
        if (seed % 3 == 1) {
            f.engine.candidatesPast(0);
        }
        List<String> ids = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        int together = 0;
        int next = 0;
        int[] kinds = new int[4];
        int defs = 1 + r.nextInt(5);
        long t = Fixture.T0;
        for (int step = 0; step < 60; step++) {
            int action = r.nextInt(20);
            if (ids.size() < defs && (step == 0 || action == 0 || action == 4 || action == 5)) {
                List<String> live = new ArrayList<>();
                f.catalog.segments().forEach(s -> live.add(s.id()));
                Definition d = gen.definition(live);
                together += live.size();
                assertThat(DefinitionParser.parse(DefinitionWriter.write(d)).definition())
                        .as("parse(write(d)) == d")
                        .isEqualTo(d);
                // Now and then a removed segment comes back (to its old ordinal).
                String id =
                        !removed.isEmpty() && r.nextInt(3) == 0
                                ? removed.remove(r.nextInt(removed.size()))
                                : "seg" + next++;
                ids.add(id);
                if (System.getProperty("debugSeed", "").equals(Long.toString(seed))) {
                    System.err.println("DEBUGDEF " + id + " " + DefinitionWriter.write(d));
                }
                f.define(id, DefinitionWriter.write(d).toString());
                kinds[f.catalog.segment(id).get().incremental() ? 0 : 1]++;
                for (CounterStore store : f.catalog.stores()) {
                    if (store.views().stream().map(CounterSpec::window).distinct().count() > 1) {
                        seen.add("store read through several windows");
                    }
                }
            } else if (action == 1 && !ids.isEmpty() && r.nextInt(3) == 0) {
                String id = ids.remove(r.nextInt(ids.size()));
                removed.add(id);
                f.remove(id);
                // Segments that referenced it went with it.
                ids.removeIf(x -> f.catalog.segment(x).isEmpty());
            } else if (action == 6 && f.lazy) {
                f.catchUp();
            } else if (action == 2) {
                if (System.getProperty("debugSeed", "").equals(Long.toString(seed))) {
                    System.err.println("DEBUGEV step " + step + " advance");
                }
                t += r.nextInt(3) * 86_400_000L;
                f.advanceTo(t);
            } else if (action == 3 && f.profile.nextExpiry() != Long.MAX_VALUE) {
                if (System.getProperty("debugSeed", "").equals(Long.toString(seed))) {
                    System.err.println("DEBUGEV step " + step + " timer " + f.profile.nextExpiry());
                }
                t = Math.max(t, f.profile.nextExpiry());
                f.advanceTo(f.profile.nextExpiry()); // what a timer does
            } else {
                t += gen.gap();
                io.cohortflow.core.event.Event ev = gen.event(t);
                if (System.getProperty("debugSeed", "").equals(Long.toString(seed))) {
                    System.err.println(
                            "DEBUGEV step "
                                    + step
                                    + " "
                                    + ev
                                    + " nextExpiry="
                                    + f.profile.nextExpiry());
                }
                f.send(ev);
            }
            // Round-trip the state through its codec, as the job does at every access.
            f.profile = ProfileCodec.fromBytes(ProfileCodec.toBytes(f.profile));
            f.checkAgreement();
            if (f.profile.historyChunked()) {
                assertThat(f.history.events()).as("the per-event store of a chunked one").isEmpty();
                assertThat(f.chunks.size()).isEqualTo(f.profile.historyChunks());
                if (f.profile.historyChunks() > 0) {
                    seen.add("history in sealed chunks");
                }
                if (f.chunks.deletes > 0) {
                    seen.add("history chunk deleted");
                }
                if (f.chunks.rewrites > 0) {
                    seen.add("history chunk appended to");
                }
            } else {
                assertThat(f.history.events()).hasSize(f.profile.historySize());
            }
            List<io.cohortflow.core.event.Event> held = f.h().events();
            assertThat(held).hasSize(f.profile.historySize());
            if (!held.isEmpty()) {
                assertThat(f.profile.historyOldest).isEqualTo(held.get(0).time());
            }
        }
        if (f.engine.stats().catchUpsByCandidates() > 0) {
            seen.add("catch-up from the user's side");
        }
        if (f.engine.stats().visitsFromRun() > 0) {
            seen.add("visit read from its run");
        }
        if (f.engine.stats().visitsStarted() > 0) {
            seen.add("visit started without a read");
        }
        kinds[2] = (int) f.engine.stats().historySkips();
        kinds[3] = together;
        seen.addAll(gen.seen);
        return kinds;
    }
}
