package io.cohortflow.service.api;

import io.cohortflow.service.ServiceException;
import io.cohortflow.service.store.StoredSegment;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A segment's entity tag and the {@code If-Match} condition on it (RFC 9110, 8.8.3 and 13.1.1),
 * HTTP only: the tag is the segment's version as a strong tag, {@code "3"}, so a client that read a
 * segment can make its edit conditional on it; whether the condition holds is decided with the
 * body's {@code version}, in {@code SegmentEdits}.
 */
final class EntityTags {
    private EntityTags() {}

    /** The entity tag of a segment at {@code version}. */
    static String of(long version) {
        return "\"" + version + "\"";
    }

    /**
     * What a segment's answer may hold that changes without a new version: answers with any of it
     * are not described by the version alone.
     */
    static final Set<String> UNVERSIONED =
            Set.of("compatibility", "propagation", "audienceSize", "audienceLastDay");

    /**
     * Sends the segment's entity tag with an answer that shows {@code expansion}. Javalin answers
     * 304, with no body, whenever the request's {@code If-None-Match} equals the {@code ETag} sent,
     * whatever the method: right for a read whose body the version alone determines, wrong for a
     * write (it happened; its answer would be lost) and for a read of fields that change without a
     * new version (the compatibility, propagation or audience a client cached would stay). There
     * the tag is left out of that one answer: the client sent it, so it has it.
     */
    static void send(Context ctx, StoredSegment s, Set<String> expansion) {
        String tag = of(s.version());
        boolean versioned =
                ctx.method() == HandlerType.GET
                        && expansion.stream().noneMatch(UNVERSIONED::contains);
        if (!versioned && tag.equals(ctx.header("If-None-Match"))) {
            return;
        }
        ctx.header("ETag", tag);
    }

    /**
     * The versions the request's {@code If-Match} names, for the edit to check against the current
     * one; null when the request has no condition: no {@code If-Match}, or {@code *}, which holds
     * for any segment that exists, and an edit answers 404 for one that does not before any
     * condition is looked at. A weak tag ({@code W/"3"}) or one that is not a version is kept out:
     * If-Match compares strongly, so it matches no version (an If-Match of only such tags is a
     * 412). A header that is not a list of entity tags is a 400 rather than a condition that could
     * never hold.
     */
    static @Nullable Set<Long> ifMatch(Context ctx) {
        List<String> lines = Collections.list(ctx.req().getHeaders("If-Match"));
        if (lines.isEmpty()) {
            return null;
        }
        String value = String.join(",", lines).trim();
        if (value.equals("*")) {
            return null;
        }
        Set<Long> versions = new HashSet<>();
        int i = 0;
        int n = value.length();
        while (i < n) {
            char c = value.charAt(i);
            if (c == ',' || c == ' ' || c == '\t') {
                i++; // empty list elements and whitespace between them
                continue;
            }
            boolean weak = value.startsWith("W/", i);
            int open = weak ? i + 2 : i;
            int close = open < n && value.charAt(open) == '"' ? value.indexOf('"', open + 1) : -1;
            if (close < 0) {
                throw malformed(value);
            }
            String opaque = value.substring(open + 1, close);
            if (!weak && opaque.matches("[1-9][0-9]{0,17}")) {
                versions.add(Long.parseLong(opaque));
            }
            i = close + 1;
            while (i < n && (value.charAt(i) == ' ' || value.charAt(i) == '\t')) {
                i++;
            }
            if (i < n && value.charAt(i) != ',') {
                throw malformed(value);
            }
        }
        return versions;
    }

    private static ServiceException malformed(String value) {
        return ServiceException.badRequest(
                "invalid_header",
                "If-Match must be * or a list of entity tags such as \"3\" (the ETag a read"
                        + " answered), got "
                        + (value.length() > 100 ? value.substring(0, 100) + "..." : value));
    }
}
