package io.cohortflow.core.eval;

import java.util.List;
import java.util.function.DoublePredicate;

/**
 * A definition compiled to a boolean formula over counters: evaluating it reads a few numbers and
 * never the history.
 */
sealed interface Formula {

    /** Whether the formula holds given the user's (already evicted) counters. */
    boolean holds(UserProfile profile);

    record All(List<Formula> parts) implements Formula {
        @Override
        public boolean holds(UserProfile profile) {
            for (Formula f : parts) {
                if (!f.holds(profile)) {
                    return false;
                }
            }
            return true;
        }
    }

    record Any(List<Formula> parts) implements Formula {
        @Override
        public boolean holds(UserProfile profile) {
            for (Formula f : parts) {
                if (f.holds(profile)) {
                    return true;
                }
            }
            return false;
        }
    }

    record Not(Formula part) implements Formula {
        @Override
        public boolean holds(UserProfile profile) {
            return !part.holds(profile);
        }
    }

    /** A test of one counter's value. */
    record Test(CounterSpec counter, DoublePredicate test) implements Formula {
        @Override
        public boolean holds(UserProfile profile) {
            CounterState s = profile.counter(counter.id());
            double v = s == null ? 0 : s.value(counter.kind());
            return test.test(v);
        }
    }
}
