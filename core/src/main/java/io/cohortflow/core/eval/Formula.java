package io.cohortflow.core.eval;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.DoublePredicate;
import org.jspecify.annotations.Nullable;

/**
 * A definition compiled to a boolean formula over counters: evaluating it reads a few numbers and
 * never the history.
 */
sealed interface Formula {

    /**
     * Whether formula {@code f} holds at the user's now. Counters are read as of now: entries past
     * their expiry that were not evicted yet (no membership could flip when they expired, so
     * nothing woke the user) do not count. By the node's type, not a method per node: a catalogue's
     * formulas mix the four, so a call per node through the interface went through an interface
     * dispatch stub (8 % of the engine in the job at 1 000 segments), where these type checks are a
     * compare each.
     */
    static boolean holds(Formula f, UserProfile profile, long horizonMillis) {
        if (f instanceof Test t) {
            return t.test(profile, horizonMillis);
        }
        if (f instanceof All a) {
            List<Formula> parts = a.parts();
            for (int i = 0; i < parts.size(); i++) {
                if (!holds(parts.get(i), profile, horizonMillis)) {
                    return false;
                }
            }
            return true;
        }
        if (f instanceof Any a) {
            List<Formula> parts = a.parts();
            for (int i = 0; i < parts.size(); i++) {
                if (holds(parts.get(i), profile, horizonMillis)) {
                    return true;
                }
            }
            return false;
        }
        return !holds(((Not) f).part(), profile, horizonMillis);
    }

    /** Every counter test in the formula. */
    default void tests(Consumer<Test> out) {
        if (this instanceof All a) {
            a.parts().forEach(f -> f.tests(out));
        } else if (this instanceof Any a) {
            a.parts().forEach(f -> f.tests(out));
        } else if (this instanceof Not n) {
            n.part().tests(out);
        } else {
            out.accept((Test) this);
        }
    }

    record All(List<Formula> parts) implements Formula {}

    record Any(List<Formula> parts) implements Formula {}

    record Not(Formula part) implements Formula {}

    /**
     * A test of one counter's value.
     *
     * @param test the test, as compiled
     * @param pivots the values at which the outcome can change (it is constant between two of them
     *     and beyond them, over every number, not only those the counter takes); null when unknown
     * @param outcomes the test's outcome in each part the pivots cut the numbers into, found once
     *     from {@code test} (see {@link Outcomes}); null without pivots
     */
    record Test(
            CounterSpec counter,
            DoublePredicate test,
            @Nullable Pivot[] pivots,
            @Nullable Outcomes outcomes)
            implements Formula {

        Test(CounterSpec counter, DoublePredicate test, @Nullable Pivot[] pivots) {
            this(counter, test, pivots, pivots == null ? null : Outcomes.of(test, pivots));
        }

        /** The test on the counter's value now. */
        boolean test(UserProfile profile, long horizonMillis) {
            CounterState s = profile.counter(counter.store());
            double v =
                    s == null
                            ? counter.kind().empty()
                            : s.valueFrom(
                                    counter.kind(),
                                    s.firstVisible(
                                            counter, profile.now, profile.floor, horizonMillis));
            return outcomes != null ? outcomes.of(v) : test.test(v);
        }
    }

    /**
     * A test's outcomes as a function of the value, constant on each part its pivots cut the
     * numbers into (below the first, at it, between it and the next, ..., above the last) and for
     * NaN (the extreme of no entries): one compare per pivot instead of the compiled comparison, a
     * call through one of many lambdas into the comparison's general code at every evaluation.
     */
    record Outcomes(double[] at, boolean[] parts, boolean nan) {

        static Outcomes of(DoublePredicate test, Pivot[] pivots) {
            double[] at =
                    java.util.Arrays.stream(pivots)
                            .mapToDouble(Pivot::at)
                            .filter(x -> !Double.isNaN(x))
                            .sorted()
                            .distinct()
                            .toArray();
            boolean[] parts = new boolean[2 * at.length + 1];
            for (int i = 0; i < at.length; i++) {
                // The part below a pivot, down to the one before: its outcome is the value's
                // just below the pivot (the part is empty when that is the pivot before).
                parts[2 * i] = test.test(Math.nextDown(at[i]));
                parts[2 * i + 1] = test.test(at[i]);
            }
            parts[2 * at.length] = test.test(at.length == 0 ? 0 : Math.nextUp(at[at.length - 1]));
            return new Outcomes(at, parts, test.test(Double.NaN));
        }

        boolean of(double v) {
            if (Double.isNaN(v)) {
                return nan;
            }
            double[] at = this.at;
            int i = 0;
            if (at.length <= 8) {
                while (i < at.length && v > at[i]) {
                    i++;
                }
            } else {
                // An eq-in's thousands of pivots: the first not below v, by halves.
                int hi = at.length;
                while (i < hi) {
                    int mid = (i + hi) >>> 1;
                    if (v > at[mid]) {
                        i = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
            }
            return parts[i < at.length && v == at[i] ? 2 * i + 1 : 2 * i];
        }
    }
}
