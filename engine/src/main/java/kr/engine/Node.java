package kr.engine;

import kr.engine.primitives.Primitive;

/** One recorded application of a primitive: what backward needs to call its vjp. */
final class Node {
    final String opName;
    /** The layer that recorded this node (its module path) while a profiler traced the thread, else null. */
    final String layer;
    Primitive op;
    Tensor[] inputs;
    boolean freed;
    Tensor outputRef;

    Node(Primitive op, Tensor[] inputs) {
        this.op = op;
        this.opName = op.name();
        this.inputs = inputs;
        this.layer = Trace.currentLayer();
    }

    void free() {
        op = null;
        inputs = null;
        freed = true;
    }
}
