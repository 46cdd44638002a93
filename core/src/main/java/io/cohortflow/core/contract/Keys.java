package io.cohortflow.core.contract;

/**
 * Record keys: a workspace and an id joined by '/'. Workspace ids never contain '/', so the first
 * '/' splits them, whatever the id holds.
 */
public final class Keys {
    private Keys() {}

    /** Whether {@code workspace} can name a workspace in a key: not empty, without '/'. */
    public static boolean validWorkspace(String workspace) {
        return !workspace.isEmpty() && workspace.indexOf('/') < 0;
    }

    public static String of(String workspace, String id) {
        if (workspace.indexOf('/') >= 0) {
            throw new IllegalArgumentException("a workspace id cannot contain '/': " + workspace);
        }
        return workspace + "/" + id;
    }

    public static String workspace(String key) {
        int i = key.indexOf('/');
        return i < 0 ? key : key.substring(0, i);
    }

    public static String id(String key) {
        int i = key.indexOf('/');
        return i < 0 ? "" : key.substring(i + 1);
    }
}
