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

    /**
     * Why a definition is refused, for people: each error's message, where it is and its code
     * ({@code unknown function "nonsense" at /container/func (unknown_function)}), separated by ";
     * " (the warnings when there are no errors). The records' own toString, {@code
     * [Problem[severity=ERROR, ...]]}, once reached the backfill's command line, the dead letters
     * and the propagation reports.
     */
    public static String describe(java.util.List<Problem> problems) {
        java.util.List<Problem> errors = problems.stream().filter(Problem::isError).toList();
        StringBuilder b = new StringBuilder();
        for (Problem p : errors.isEmpty() ? problems : errors) {
            b.append(b.length() == 0 ? "" : "; ").append(p.message());
            if (p.pointer() != null && !p.pointer().isEmpty()) {
                b.append(" at ").append(p.pointer());
            }
            b.append(" (").append(p.code()).append(')');
        }
        return b.toString();
    }
}
