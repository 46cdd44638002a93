package io.cohortflow.job;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.state.changelog.ChangelogStateBackendHandle;

/**
 * The job's snapshots on a local filesystem, as the processes beside it find them: the launcher
 * restoring the job, the members export reading one (see {@link JobConfig#localSnapshotDirs}).
 */
public final class Snapshots {
    private Snapshots() {}

    /**
     * The newest snapshot: each path that holds {@code _metadata} is one; under any other, the
     * newest {@code _metadata} within three levels ({@code <job>/chk-<n>/_metadata}), by time.
     */
    public static Optional<Path> newest(List<Path> roots) {
        Optional<Path> best = Optional.empty();
        FileTime bestTime = null;
        for (Path root : roots) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> s = Files.walk(root, 3)) {
                for (Path m :
                        s.filter(p -> p.getFileName().toString().equals("_metadata")).toList()) {
                    FileTime t;
                    try {
                        t = Files.getLastModifiedTime(m);
                    } catch (java.nio.file.NoSuchFileException gone) {
                        continue; // subsumed while listed
                    }
                    if (bestTime == null || t.compareTo(bestTime) > 0) {
                        bestTime = t;
                        best = Optional.of(m.getParent());
                    }
                }
            } catch (IOException | UncheckedIOException e) {
                // A directory deleted while walked (a subsumed checkpoint): walk again.
                return newest(roots);
            }
        }
        return best;
    }

    /**
     * Whether part of the snapshot's keyed state is still in Flink's state changelog (a checkpoint
     * of a job with {@link JobConfig#STATE_CHANGELOG} on: the changes since the last
     * materialization), which Flink's State Processor API refuses to read ("does not support
     * changelog"). A savepoint of such a job holds only materialized state, so it reads.
     */
    public static boolean inStateChangelog(Path snapshot) throws IOException {
        try (DataInputStream in =
                new DataInputStream(Files.newInputStream(snapshot.resolve("_metadata")))) {
            CheckpointMetadata m =
                    Checkpoints.loadCheckpointMetadata(
                            in, Snapshots.class.getClassLoader(), snapshot.toString());
            return m.getOperatorStates().stream()
                    .flatMap(o -> o.getStates().stream())
                    .flatMap(s -> s.getManagedKeyedState().stream())
                    .anyMatch(
                            h ->
                                    h instanceof ChangelogStateBackendHandle c
                                            && !c.getNonMaterializedStateHandles().isEmpty());
        }
    }
}
