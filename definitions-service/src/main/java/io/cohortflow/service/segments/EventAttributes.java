package io.cohortflow.service.segments;

import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The event attributes a workspace's event schemas declare, for validation's {@code
 * unknown_attribute} warning: a definition testing an attribute no schema declares is most likely a
 * typo. Schemas are opt-in, so a workspace without any declares nothing and gets no warning.
 */
@FunctionalInterface
public interface EventAttributes {
    /** Nothing declared anywhere: validation warns about no attribute. */
    EventAttributes NONE = workspace -> null;

    /**
     * The attribute paths (as {@code variables/<path>} names them) some schema of {@code workspace}
     * declares, or null when it has no schema.
     */
    @Nullable Set<String> declared(String workspace);
}
