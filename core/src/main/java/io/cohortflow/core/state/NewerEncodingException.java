package io.cohortflow.core.state;

import java.io.IOException;

/**
 * Stored bytes whose encoding version is newer than this build knows: written by a later build (a
 * job downgraded onto its state, say). Not corrupt data, and not one user's: every value that later
 * build wrote reads so, so callers fail loudly rather than set the value aside.
 */
public final class NewerEncodingException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * How far past the newest known version a version byte is taken for a later build's: versions
     * grow by one per format change, and a byte further off is more likely damage than a build that
     * many formats ahead.
     */
    private static final int AHEAD = 16;

    /** Whether {@code version} reads as a later build's, the newest known being {@code newest}. */
    public static boolean laterBuild(int version, int newest) {
        return version > newest && version <= newest + AHEAD;
    }

    public NewerEncodingException(String what, int version, int newestKnown) {
        super(
                what
                        + " of encoding version "
                        + version
                        + ", newer than this build reads (up to "
                        + newestKnown
                        + "): written by a later build; run that build or a later one");
    }
}
