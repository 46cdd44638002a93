package io.cohortflow.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A JSON document as the user gave it (a definition, a segment): its text (sent as it is) and its
 * tree.
 */
record JsonDocument(String text, JsonNode json) {

    /**
     * Input the user gave that cannot be used (a file that is not there, a directory, an empty
     * document, text that is not JSON): wrong arguments (2), unlike an answer of the service that
     * cannot be read, which is a failure (1). An {@link IllegalArgumentException}, the family
     * {@link io.cohortflow.job.CommandErrors} takes as wrong input.
     */
    static final class WrongInput extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        WrongInput(String message) {
            super(message);
        }
    }

    /**
     * The JSON document in a file, or standard input for {@code -}: a missing file, a directory, an
     * empty document or one that is not JSON is {@link WrongInput} naming the file (and, for JSON
     * it cannot read, the line and column).
     */
    static JsonDocument read(String file) throws IOException {
        String name = file.equals("-") ? "standard input" : file;
        String text;
        if (file.equals("-")) {
            text = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        } else {
            Path p = Path.of(file);
            if (Files.isDirectory(p)) {
                throw new WrongInput(file + ": is a directory");
            }
            try {
                text = Files.readString(p);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new WrongInput(file + ": no such file");
            } catch (java.nio.file.AccessDeniedException e) {
                throw new WrongInput(file + ": permission denied");
            } catch (java.nio.charset.MalformedInputException e) {
                throw new WrongInput(file + ": not UTF-8 text");
            }
        }
        if (text.isBlank()) {
            throw new WrongInput(name + ": empty");
        }
        try {
            return new JsonDocument(text, Json.MAPPER.readTree(text));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // The parser's own words, without its "Source: ..." and location suffix.
            com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
            throw new WrongInput(
                    name
                            + ": not JSON"
                            + (at == null
                                    ? ""
                                    : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                            + ": "
                            + e.getOriginalMessage());
        }
    }
}
