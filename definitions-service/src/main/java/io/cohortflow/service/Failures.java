package io.cohortflow.service;

import java.util.concurrent.CompletionException;

/** The one rule for what a failed future failed with. */
public final class Failures {
    private Failures() {}

    /**
     * The exception that failed a future, without the {@link CompletionException}s that stages wrap
     * it in (one per stage it passed): what callers test for and report.
     */
    public static Throwable cause(Throwable e) {
        Throwable c = e;
        while (c instanceof CompletionException && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
