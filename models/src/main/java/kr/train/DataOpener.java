package kr.train;

import java.io.IOException;
import java.nio.file.Path;
import kr.data.Dataset;

/**
 * Opens one split ("train", "test") of a data set directory. The CLI and the trainer reach data
 * only through {@link #standard()}, so swapping in the project's reader is a one-line change.
 *
 * <pre>{@code Dataset train = DataOpener.standard().open(Path.of("data/cifar10"), "train"); }</pre>
 */
@FunctionalInterface
public interface DataOpener {
    Dataset open(Path dir, String split) throws IOException;

    /** The reader for CIFAR binary directories and image folders. */
    static DataOpener standard() {
        return kr.data.DataSources::open;
    }
}
