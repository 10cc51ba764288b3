package kr.engine.backend;

import kr.engine.DType;
import kr.engine.Device;

/** The buffer behind one or more tensor views. Each backend family owns its storage type. */
public interface Storage {
    Device device();

    DType dtype();

    /** Number of elements (not bytes). */
    int size();
}
