package io.cohortflow.core.definition;

/**
 * One finding about a definition: where (a JSON pointer into the submitted definition), what (a
 * stable machine-readable code) and a sentence for people.
 */
public record Problem(Severity severity, String code, String pointer, String message) {

    public enum Severity {
        ERROR,
        WARNING
    }

    public static Problem error(String code, String pointer, String message) {
        return new Problem(Severity.ERROR, code, pointer, message);
    }

    public static Problem warning(String code, String pointer, String message) {
        return new Problem(Severity.WARNING, code, pointer, message);
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }
}
