package io.cohortflow.service.api;

import io.cohortflow.core.event.EventJson;
import io.cohortflow.service.ServiceException;
import io.javalin.http.Context;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/** Typed query parameters shared by the controllers. */
final class Params {
    private Params() {}

    /** The locales of the spec; messages are not translated, the choice is echoed back. */
    static final Set<String> LOCALES =
            Set.of("en_US", "fr_FR", "ja_JP", "de_DE", "es_ES", "ko_KR", "pt_BR", "zh_CN", "zh_TW");

    static final Set<String> EXPANSIONS =
            Set.of(
                    "reportSuiteName",
                    "ownerFullName",
                    "modified",
                    "tags",
                    "compatibility",
                    "definition",
                    "publishingStatus",
                    "definitionLastModified",
                    "categories",
                    "activations",
                    "propagation",
                    "audienceSize",
                    "audienceLastDay");

    /** Validates {@code locale} and sets Content-Language. */
    static String locale(Context ctx) {
        String l = ctx.queryParam("locale");
        if (l == null || l.isBlank()) {
            l = "en_US";
        }
        if (!LOCALES.contains(l)) {
            throw ServiceException.badRequest(
                    "invalid_parameter",
                    "locale must be one of " + LOCALES.stream().sorted().toList() + ", got " + l);
        }
        ctx.header("Content-Language", l.replace('_', '-'));
        return l;
    }

    /**
     * The parameters that are lists (read by {@link #list}): each may be repeated, its values
     * adding up. Every other parameter is one value, and {@link #onlyDeclared} refuses it repeated.
     */
    static final Set<String> LISTS =
            Set.of(
                    "segmentFilter",
                    "rsids",
                    "tagNames",
                    "includeType",
                    "expansion",
                    "componentIds");

    /**
     * A comma-delimited list; null when the parameter is absent or names nothing ({@code rsids=}),
     * as the other parameters fall back to their defaults when empty: an empty filter would match
     * nothing.
     */
    static @Nullable List<String> list(Context ctx, String name) {
        if (!LISTS.contains(name)) {
            // Read as a list it may be repeated, which onlyDeclared refuses unless it is in LISTS.
            throw new IllegalArgumentException(name + " is read as a list but not in Params.LISTS");
        }
        List<String> values =
                ctx.queryParams(name).stream()
                        .flatMap(v -> Arrays.stream(v.split(",")))
                        .map(String::trim)
                        .filter(s -> !s.isEmpty())
                        .toList();
        return values.isEmpty() ? null : values;
    }

    static Set<String> expansion(Context ctx, Set<String> whenAbsent) {
        List<String> e = list(ctx, "expansion");
        if (e == null) {
            return whenAbsent;
        }
        Set<String> out = new LinkedHashSet<>();
        for (String x : e) {
            if (!EXPANSIONS.contains(x)) {
                throw ServiceException.badRequest(
                        "invalid_parameter",
                        "expansion value '"
                                + x
                                + "' is not one of "
                                + EXPANSIONS.stream().sorted().toList());
            }
            out.add(x);
        }
        return out;
    }

    static <E extends Enum<E>> E enumValue(Context ctx, String name, Class<E> type, E dflt) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Enum.valueOf(type, v.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ServiceException.badRequest(
                    "invalid_parameter",
                    name
                            + " must be one of "
                            + Arrays.stream(type.getEnumConstants())
                                    .map(c -> c.name().toLowerCase(Locale.ROOT))
                                    .collect(Collectors.joining(", "))
                            + ", got "
                            + v);
        }
    }

    /**
     * A boolean query parameter ({@code ?force=true}, {@code ?activations=true}): false when absent
     * or blank, a 400 naming it unless true or false.
     */
    static boolean flag(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) {
            return false;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default ->
                    throw ServiceException.badRequest(
                            "invalid_parameter", name + " must be true or false", name + ": " + v);
        };
    }

    /** An optional ISO-8601 instant ({@code 2026-11-01T00:00:00Z}), or a 400 naming it. */
    static @Nullable Instant instant(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) {
            return null;
        }
        Instant at;
        try {
            at = Instant.parse(v.trim());
        } catch (DateTimeParseException e) {
            throw ServiceException.badRequest(
                    "invalid_parameter",
                    name + ": not an ISO-8601 instant (e.g. 2026-11-01T00:00:00Z): " + v);
        }
        // The times the system holds (events' too): past them an instant is no bound of any
        // series, and one past a long's milliseconds made the callers' arithmetic throw (a 500).
        if (at.isBefore(Instant.ofEpochMilli(EventJson.EARLIEST))
                || at.isAfter(Instant.ofEpochMilli(EventJson.LATEST))) {
            throw ServiceException.badRequest(
                    "invalid_parameter",
                    name + ": from 1970-01-01T00:00:00Z to before 3000-01-01T00:00:00Z: " + v);
        }
        return at;
    }

    /** An integer parameter; its default when absent or empty ({@code limit=}), as others. */
    static int integer(Context ctx, String name, int dflt, int min, int max) {
        String text = ctx.queryParam(name);
        if (text == null || text.isBlank()) {
            return dflt;
        }
        return ctx.queryParamAsClass(name, Integer.class)
                .check(v -> v >= min && v <= max, "must be between " + min + " and " + max)
                .get();
    }

    /**
     * Rejects query parameters the route does not declare, and a one-value parameter given more
     * than once ({@code ?limit=1&limit=1000}): which one was meant is unknown, and the handlers
     * read the first only. Lists ({@link #LISTS}) may be repeated.
     */
    static void onlyDeclared(Context ctx, Set<String> declared) {
        wellEncoded(ctx.queryString());
        for (Map.Entry<String, List<String>> q : ctx.queryParamMap().entrySet()) {
            String name = q.getKey();
            if (!declared.contains(name)) {
                throw ServiceException.badRequest(
                        "unknown_parameter",
                        "unknown query parameter '"
                                + name
                                + "'; this endpoint accepts "
                                + declared.stream().sorted().toList());
            }
            if (q.getValue().size() > 1 && !LISTS.contains(name)) {
                throw ServiceException.badRequest(
                        "invalid_parameter",
                        name + " is given " + q.getValue().size() + " times; give it once",
                        name);
            }
        }
    }

    /**
     * Refuses a query string whose %-encoding is broken ({@code %ZZ}, a lone {@code %}, bytes that
     * are not UTF-8): Javalin drops such a key or value without a word, so the parameter would take
     * its default, or slip past {@link #onlyDeclared}'s check of the names.
     */
    static void wellEncoded(@Nullable String query) {
        if (query == null || query.indexOf('%') < 0) {
            return;
        }
        int i = query.indexOf('%');
        while (i >= 0) {
            // A run of escapes is one text's bytes (a character may take several): decoded whole.
            byte[] run = new byte[query.length() / 3 + 1];
            int n = 0;
            while (i < query.length() && query.charAt(i) == '%') {
                int hi = i + 2 < query.length() ? Character.digit(query.charAt(i + 1), 16) : -1;
                int lo = hi < 0 ? -1 : Character.digit(query.charAt(i + 2), 16);
                if (lo < 0) {
                    throw brokenEncoding(
                            "'%' at position " + i + " is not followed by two hexadecimal digits");
                }
                run[n++] = (byte) (hi << 4 | lo);
                i += 3;
            }
            try {
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(run, 0, n));
            } catch (CharacterCodingException e) {
                throw brokenEncoding("the bytes escaped before position " + i + " are not UTF-8");
            }
            i = query.indexOf('%', i);
        }
    }

    private static ServiceException brokenEncoding(String why) {
        return ServiceException.badRequest(
                "invalid_parameter", "the query string's %-encoding is broken: " + why);
    }
}
