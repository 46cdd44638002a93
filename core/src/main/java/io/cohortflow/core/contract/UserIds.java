package io.cohortflow.core.contract;

import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The one rule for a user id's text. A UUID names the same user whatever the case of its hex digits
 * (RFC 9562: they are case-insensitive on input), so it is keyed, stored and answered in its
 * canonical lower-case form; without that, one person sent as {@code 2008C38F-...} and as {@code
 * 2008c38f-...} became two users with two states. Any other id (the events topic takes ids that are
 * not UUIDs from producers of its own) is kept as it is.
 */
public final class UserIds {
    private UserIds() {}

    /**
     * What is wrong with {@code id} as a user id, or null: 1 to {@link EventEnvelope#MAX_ID}
     * characters, none of them a control character (a line break in an id broke every line-based
     * reader of the users: the members exports' CSV, logs), and not {@code .} or {@code ..}.
     */
    public static @Nullable String problem(String id) {
        if (id.isEmpty() || id.length() > EventEnvelope.MAX_ID) {
            return "1 to " + EventEnvelope.MAX_ID + " characters";
        }
        if (id.equals(".") || id.equals("..")) {
            // As a path segment, encoded or not, it is the path's own dot segment: clients and
            // servers normalise it away, so such a user could be neither looked up nor erased.
            return "not '.' or '..' (they cannot be named in a URL path)";
        }
        for (int i = 0; i < id.length(); i++) {
            if (Character.isISOControl(id.charAt(i))) {
                return "no control characters (line breaks, tabs, ...)";
            }
        }
        // Two ids with half a character where they differ would share a key, and neither could
        // be named in a path.
        return WholeText.problem(id);
    }

    /** The key form of {@code id}: a UUID in lower case, anything else unchanged. */
    public static String canonical(String id) {
        String uuid = uuid(id);
        return uuid != null ? uuid : id;
    }

    /** {@code id} as a canonical UUID (lower case), or null when it is not a UUID's text form. */
    public static @Nullable String uuid(String id) {
        if (id.length() != 36) {
            return null; // UUID.fromString also takes "1-1-1-1-1"; the text form has 36 characters
        }
        try {
            String canonical = UUID.fromString(id).toString();
            return canonical.equalsIgnoreCase(id) ? canonical : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
