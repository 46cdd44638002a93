package io.cohortflow.service.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.cohortflow.service.ServiceException;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.Locale;

/**
 * Request bodies: JSON within stated limits, never empty, nothing after the value. A body the
 * reader refuses is described in our words ({@link #describe}): the reader's own messages name its
 * classes and settings, which a client can neither act on nor should see.
 */
final class Bodies {
    /**
     * Deeper bodies are refused before anything walks them: the definition parser and the schema
     * validator recurse once per level, so the depth bounds their stack. Real definitions and
     * events nest a few dozen levels at most.
     */
    static final int MAX_NESTING = 200;

    /** Digits of one number: enough for any long or double a definition or event carries. */
    static final int MAX_NUMBER_LENGTH = 100;

    /** Characters of one string or field name; the body size limit usually comes first. */
    static final int MAX_STRING_LENGTH = 1_000_000;

    private static final StreamReadConstraints LIMITS =
            StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_NESTING)
                    .maxNumberLength(MAX_NUMBER_LENGTH)
                    .maxStringLength(MAX_STRING_LENGTH)
                    .maxNameLength(MAX_STRING_LENGTH)
                    .build();

    /** The Segments API's reader: a key given twice is an error. */
    private static final ObjectMapper STRICT = mapper(true);

    /** The segmentation API's reader, as the spec's clients expect: the last duplicate wins. */
    private static final ObjectMapper LENIENT = mapper(false);

    private Bodies() {}

    private static ObjectMapper mapper(boolean strict) {
        return JsonMapper.builder(JsonFactory.builder().streamReadConstraints(LIMITS).build())
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .configure(StreamReadFeature.STRICT_DUPLICATE_DETECTION, strict)
                .build();
    }

    /** The body as JSON, strictly; a refusal is a {@link ServiceException} 400. */
    static JsonNode json(Context ctx) {
        byte[] body = ctx.bodyAsBytes();
        if (body.length == 0) {
            throw ServiceException.badRequest("missing_body", "a JSON body is required");
        }
        try {
            JsonNode n = STRICT.readTree(body);
            if (n == null || n.isMissingNode()) {
                throw ServiceException.badRequest("missing_body", "a JSON body is required");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw ServiceException.badRequest("malformed_json", describe(e));
        } catch (IOException e) {
            throw ServiceException.badRequest("malformed_json", "the body could not be read");
        }
    }

    /**
     * The segmentation API's body; throws {@link JsonProcessingException} (described with {@link
     * #describe}) when it is not JSON, so the caller answers in its own error shape.
     */
    static JsonNode lenient(byte[] body) throws IOException {
        return LENIENT.readTree(body);
    }

    /** What is wrong with a body the JSON reader refused, in words a client can act on. */
    static String describe(JsonProcessingException e) {
        String raw = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        String lower = raw.toLowerCase(Locale.ROOT);
        if (e instanceof StreamConstraintsException) {
            if (lower.contains("nesting depth")) {
                return "the body nests deeper than " + MAX_NESTING + " levels";
            }
            if (lower.startsWith("number")) {
                return "a number is longer than " + MAX_NUMBER_LENGTH + " characters";
            }
            if (lower.startsWith("name")) {
                return "a field name is longer than " + MAX_STRING_LENGTH + " characters";
            }
            if (lower.startsWith("string")) {
                return "a string is longer than " + MAX_STRING_LENGTH + " characters";
            }
            return "the body exceeds a size limit of the JSON reader";
        }
        String at = at(e.getLocation());
        if (lower.startsWith("duplicate field")) {
            return "a field appears twice in one object" + at;
        }
        if (lower.contains("utf-8") || lower.contains("utf8")) {
            return "the body is not valid UTF-8" + at;
        }
        if (lower.startsWith("trailing token")) {
            return "there is more after the JSON value" + at;
        }
        if (lower.contains("end-of-input") || lower.contains("no content")) {
            return "the body ends before its JSON value does" + at;
        }
        return "the body is not valid JSON" + at;
    }

    private static String at(JsonLocation l) {
        if (l == null || l.getLineNr() < 1) {
            return "";
        }
        return " at line " + l.getLineNr() + ", column " + l.getColumnNr();
    }
}
