package kr.cuda;

import kr.engine.Device;
import kr.engine.backend.Backend;
import kr.engine.backend.BackendProvider;

/**
 * Registers {@link CudaBackend} with {@link kr.engine.backend.Backends} (ServiceLoader). It is
 * available when JCuda's natives load, the CUDA driver initialises and a device exists; otherwise
 * {@link #unavailableReason()} says which of those failed and the CPU backends carry on.
 */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Device.Kind deviceKind() {
        return Device.Kind.CUDA;
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public boolean available() {
        return CudaDriver.available();
    }

    @Override
    public String unavailableReason() {
        return CudaDriver.unavailableReason();
    }

    @Override
    public Backend create(Device device) {
        return new CudaBackend(device);
    }
}
