package kr.engine;

import kr.engine.primitives.Primitive;

/** One recorded application of a primitive: what backward needs to call its vjp. */
final class Node {
    final String opName;
    Primitive op;
    Tensor[] inputs;
    boolean freed;
    Tensor outputRef;

    Node(Primitive op, Tensor[] inputs) {
        this.op = op;
        this.opName = op.name();
        this.inputs = inputs;
    }

    void free() {
        op = null;
        inputs = null;
        freed = true;
    }
}
