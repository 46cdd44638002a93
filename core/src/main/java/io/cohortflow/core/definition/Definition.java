package io.cohortflow.core.definition;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A parsed segment definition: {@code {"func":"segment-def","version":[1,0,0],"container":{...}}}.
 */
public record Definition(
        Pred.Container container, List<Integer> version, @Nullable String description) {

    public static final List<Integer> CURRENT_VERSION = List.of(1, 0, 0);

    public Definition(Pred.Container container) {
        this(container, CURRENT_VERSION, null);
    }
}
