package io.cohortflow.service.auth;

import java.util.Locale;

/** What a key may do; each role includes the ones before it. */
public enum Role {
    /** Read segments, tags, shares, versions and propagation; validate definitions. */
    READ,
    /** Also create, edit, delete, publish, tag, share and roll back one's own segments. */
    WRITE,
    /** Also edit every segment of the workspace and list them all ({@code includeType=all}). */
    ADMIN;

    public boolean includes(Role other) {
        return ordinal() >= other.ordinal();
    }

    public static Role parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("role must be read, write or admin, got " + s);
        }
    }
}
