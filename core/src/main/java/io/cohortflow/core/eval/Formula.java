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
     * Whether the formula holds at the user's now. Counters are read as of now: entries past their
     * expiry that were not evicted yet (no membership could flip when they expired, so nothing woke
     * the user) do not count.
     */
    boolean holds(UserProfile profile, long horizonMillis);

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

    record All(List<Formula> parts) implements Formula {
        @Override
        public boolean holds(UserProfile profile, long horizonMillis) {
            for (Formula f : parts) {
                if (!f.holds(profile, horizonMillis)) {
                    return false;
                }
            }
            return true;
        }
    }

    record Any(List<Formula> parts) implements Formula {
        @Override
        public boolean holds(UserProfile profile, long horizonMillis) {
            for (Formula f : parts) {
                if (f.holds(profile, horizonMillis)) {
                    return true;
                }
            }
            return false;
        }
    }

    record Not(Formula part) implements Formula {
        @Override
        public boolean holds(UserProfile profile, long horizonMillis) {
            return !part.holds(profile, horizonMillis);
        }
    }

    /**
     * A test of one counter's value.
     *
     * @param pivots the values at which the outcome can change (it is constant between two of them
     *     and beyond them); null when unknown
     */
    record Test(CounterSpec counter, DoublePredicate test, @Nullable Pivot[] pivots)
            implements Formula {
        @Override
        public boolean holds(UserProfile profile, long horizonMillis) {
            CounterState s = profile.counter(counter.store());
            double v =
                    s == null
                            ? counter.kind().empty()
                            : s.valueFrom(
                                    counter.kind(),
                                    s.firstVisible(
                                            counter, profile.now, profile.floor, horizonMillis));
            return test.test(v);
        }
    }
}
