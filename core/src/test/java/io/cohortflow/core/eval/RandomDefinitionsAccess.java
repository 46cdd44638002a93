package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Definition;
import java.util.Random;

/** Lets tests in other packages draw random definitions. */
public final class RandomDefinitionsAccess {
    private RandomDefinitionsAccess() {}

    public static Definition definition(Random r) {
        return new RandomDefinitions(r).definition();
    }
}
