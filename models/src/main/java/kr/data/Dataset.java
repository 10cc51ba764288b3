package kr.data;

import java.util.List;

/**
 * A labelled image data set held as 8-bit pixels in CHW order (what CIFAR, image folders and IDX
 * files all reduce to). Normalisation and augmentation happen when batches are built, possibly on
 * several {@link Loader} threads at once, so {@link #image} must be safe to call concurrently.
 */
public interface Dataset {
    int size();

    int channels();

    int height();

    int width();

    /** Class names in label order. */
    List<String> classes();

    default int numClasses() {
        return classes().size();
    }

    int label(int index);

    /** Copies image {@code index} as {@code channels*height*width} bytes (CHW) into {@code dst} at {@code off}. */
    void image(int index, byte[] dst, int off);
}
