package io.cohortflow.service.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cohortflow.service.ServiceException;
import io.javalin.http.Context;

/** Request bodies: strict JSON (duplicate keys are an error), never empty. */
final class Bodies {
    private static final ObjectMapper STRICT =
            new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private Bodies() {}

    static JsonNode json(Context ctx) throws JsonProcessingException {
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
            throw e;
        } catch (java.io.IOException e) {
            throw ServiceException.badRequest("malformed_json", "the body is not valid JSON");
        }
    }
}
