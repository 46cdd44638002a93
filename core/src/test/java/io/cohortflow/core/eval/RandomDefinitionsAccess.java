package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.event.Event;
import java.util.Random;

/** Lets tests in other packages draw random definitions. */
public final class RandomDefinitionsAccess {
    private RandomDefinitionsAccess() {}

    public static Definition definition(Random r) {
        return new RandomDefinitions(r).definition();
    }

    /** An event over the same small vocabulary, so definitions and events interact. */
    public static Event event(Random r, long time) {
        return new RandomDefinitions(r).event(time);
    }
}
