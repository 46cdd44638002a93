package io.cohortflow.core.contract;

import org.jspecify.annotations.Nullable;

/**
 * What one Kafka record of Cohortflow's may hold. A record over the producers' {@code
 * max.request.size} (1 MiB by default) is refused by the client: from the job's exactly-once sinks
 * that fails the task, and the replay after the restart writes it again, so an output that grew
 * with a client's input (an explanation of a large definition, an error message quoting the input)
 * could stop the job for good. Texts that quote input are cut here when made; what is still too
 * large when written is turned into a dead letter (the job's {@code MessageSerializer}).
 */
public final class RecordLimits {
    /** The most bytes of key and value one record takes, under the producers' 1 MiB. */
    public static final int MAX_BYTES = 1_000_000;

    /** Characters kept of a message for people (an error's, a refusal's reason). */
    public static final int MAX_MESSAGE = 4 * 1024;

    /** What ends a cut text. */
    public static final String CUT = "...[cut]";

    private RecordLimits() {}

    /** {@code s} cut to {@code max} characters (plus {@link #CUT}), or as it is. */
    public static @Nullable String cut(@Nullable String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        // Not between the two halves of a surrogate pair: a lone half is not text.
        int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return s.substring(0, end) + CUT;
    }
}
