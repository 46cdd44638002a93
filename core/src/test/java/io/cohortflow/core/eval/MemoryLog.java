package io.cohortflow.core.eval;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link MembershipLog} in memory, for tests: entries go through their binary form, and an id not
 * larger than every stored one fails.
 */
public final class MemoryLog implements MembershipLog {
    private final TreeMap<Long, byte[]> entries = new TreeMap<>();
    public int reads;
    public int appends;
    public int clears;

    @Override
    public List<MembershipOps> entries() {
        reads++;
        List<MembershipOps> out = new ArrayList<>();
        for (Map.Entry<Long, byte[]> e : entries.entrySet()) {
            try {
                out.add(
                        MembershipOps.read(
                                new DataInputStream(new ByteArrayInputStream(e.getValue()))));
            } catch (IOException x) {
                throw new UncheckedIOException(x);
            }
        }
        return out;
    }

    @Override
    public void append(long id, MembershipOps ops) {
        appends++;
        if (!entries.isEmpty() && entries.lastKey() >= id) {
            throw new IllegalStateException("entry " + id + " after " + entries.lastKey());
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(b)) {
            ops.write(out);
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        entries.put(id, b.toByteArray());
    }

    @Override
    public void clear() {
        clears++;
        entries.clear();
    }

    public int size() {
        return entries.size();
    }
}
