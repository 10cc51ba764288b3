package kr.engine.backend.vector;

import kr.engine.Device;
import kr.engine.backend.Backend;
import kr.engine.backend.BackendProvider;

/** Registers the Vector API backend as the default CPU backend. */
public final class VectorBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "vector";
    }

    @Override
    public Device.Kind deviceKind() {
        return Device.Kind.CPU;
    }

    @Override
    public int priority() {
        return 10;
    }

    @Override
    public boolean available() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    @Override
    public String unavailableReason() {
        return "the JVM was started without --add-modules jdk.incubator.vector";
    }

    @Override
    public void configure(kr.engine.EngineConfig config) {
        if (available()) Parallel.configure(config.threads());
    }

    @Override
    public Backend create(Device device) {
        return new VectorBackend();
    }
}
