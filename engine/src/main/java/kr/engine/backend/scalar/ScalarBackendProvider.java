package kr.engine.backend.scalar;

import kr.engine.Device;
import kr.engine.backend.Backend;
import kr.engine.backend.BackendProvider;

/** Registers the reference backend. */
public final class ScalarBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public Device.Kind deviceKind() {
        return Device.Kind.CPU;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public Backend create(Device device) {
        return new ScalarBackend();
    }
}
