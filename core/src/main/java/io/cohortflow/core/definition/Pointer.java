package io.cohortflow.core.definition;

/** JSON pointers (RFC 6901) into a definition. */
final class Pointer {
    private Pointer() {}

    static String child(String parent, String field) {
        return parent + "/" + field.replace("~", "~0").replace("/", "~1");
    }

    static String child(String parent, int index) {
        return parent + "/" + index;
    }
}
