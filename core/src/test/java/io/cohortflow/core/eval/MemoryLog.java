package io.cohortflow.core.eval;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link MembershipLog} in memory, for tests: entries go through their binary form, and a read of
 * a missing entry fails.
 */
public final class MemoryLog implements MembershipLog {
    private final Map<Long, byte[]> entries = new TreeMap<>();
    public int reads;
    public int writes;
    public int deletes;

    @Override
    public MembershipOps read(long id) {
        reads++;
        byte[] b = entries.get(id);
        if (b == null) {
            throw new IllegalStateException("no membership log entry " + id);
        }
        try {
            return MembershipOps.read(new DataInputStream(new ByteArrayInputStream(b)));
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
    }

    @Override
    public void write(long id, MembershipOps ops) {
        writes++;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(b)) {
            ops.write(out);
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        entries.put(id, b.toByteArray());
    }

    @Override
    public void delete(long id) {
        deletes++;
        if (entries.remove(id) == null) {
            throw new IllegalStateException("deleting membership log entry " + id + ", not held");
        }
    }

    public int size() {
        return entries.size();
    }
}
