#!/usr/bin/python3
"""Writes engine/src/main/java/kr/engine/backend/vector/Kernels.java: one method per micro-kernel tile.

Usage (from the repository root): python3 engine/tools/gen_kernels.py [OUT]
OUT defaults to the Kernels.java above; engine/tools/check_kernels.sh (run by `mvn verify`) writes a
temporary copy and fails the build when the committed file differs.
Edit STRIDED / TABLE to change the tiles; the callers pick tiles by name (Kernels.T5x3 ...).
Every accumulator is a local and every store is written out (no helper method): a helper that C2
has already compiled on its own may not be inlined, and then each accumulator is boxed.
"""
import os
import sys

# rows x vectors; "t" = B read through an offset table (implicit GEMM over a padded image);
# "p" = rows are consecutive positions of a padded image, broadcast through a tap offset table, and
# the vectors run over output channels (direct convolution with no padding positions computed)
STRIDED = ["5x3", "6x2", "8x2", "4x4", "8x1", "4x2", "3x4", "4x3", "5x2"]
TABLE = ["8x2t", "4x2t", "16x1t", "8x1t"]
POSITIONS = ["8x2p", "16x1p", "8x1p", "4x2p"]

def vo(v, unit="VL"):
    return "" if v == 0 else (f" + {unit}" if v == 1 else f" + {v} * {unit}")
def positions_kernel(R, V, G=1, step=1):
    """G = 1: one tap per step through koff; G = 3: taps in runs of three consecutive offsets (kx = 0, 1, 2
    of a 3x3), one table entry per run, so the index arithmetic is paid once per three taps. step: the
    distance of consecutive positions in the image (2 for a stride-2 convolution over the unsplit image)."""
    L = []
    name = f"kernel{R}x{V}p" + ("" if G == 1 else str(G)) + ("" if step == 1 else f"s{step}")
    if G == 1:
        L.append(f"    /** {R} consecutive positions x {V} vectors: A broadcast from {{@code a[ao + koff[p] + i]}}, B row p at {{@code b[bo + p*bs]}}. */")
        L.append(f"    static void {name}(int kc, float[] a, int ao, int[] koff, float[] b, int bo, int bs, float[] c, int co, int ldc, boolean load) {{")
    else:
        L.append(f"    /** As {{@code kernel{R}x{V}p}} over {G}-tap runs: tap j of run g broadcasts {{@code a[ao + goff[g] + j + {'' if step == 1 else f'{step} * '}i]}}, B row {G}g + j. */")
        L.append(f"    static void {name}(int runs, float[] a, int ao, int[] goff, float[] b, int bo, int bs, float[] c, int co, int ldc, boolean load) {{")
    # 16 accumulators over three-tap runs (48 FMAs a step): AVX-512's largest kernels keep the shared zero (C27)
    L.extend(zero_accumulators(R, V, shared=R * V * G >= 48))
    if G == 1:
        L.append("        for (int p = 0; p < kc; p++) {")
        L.append("            int bi = bo + p * bs, ai = ao + koff[p];")
    else:
        L.append(f"        for (int g = 0; g < runs; g++) {{")
        L.append(f"            int bi = bo + g * {G} * bs, ai = ao + goff[g];")
    for j in range(G):
        if j:
            L.append("            bi += bs;")
        for v in range(V):
            L.append(f"            {'' if j else 'FloatVector '}b{v} = FloatVector.fromArray(S, b, bi{vo(v)});")
        if not j:
            L.append("            FloatVector x;")
        for r in range(R):
            o = j + step * r
            L.append(f"            x = FloatVector.broadcast(S, a[ai + {o}]);" if o else "            x = FloatVector.broadcast(S, a[ai]);")
            L.append("            " + " ".join(f"c{r}_{v} = x.fma(b{v}, c{r}_{v});" for v in range(V)))
    L.append("        }")
    idx = []
    for r in range(R):
        base = "co" if r == 0 else (f"co + ldc" if r == 1 else f"co + {r} * ldc")
        for v in range(V):
            idx.append((f"c{r}_{v}", base + vo(v)))
    L.append("        if (load) {")
    for acc, i in idx:
        L.append(f"            {acc}.add(FloatVector.fromArray(S, c, {i})).intoArray(c, {i});")
    L.append("        } else {")
    for acc, i in idx:
        L.append(f"            {acc}.intoArray(c, {i});")
    L.append("        }")
    L.append("    }")
    return "\n".join(L)


def zero_accumulators(R, V, shared=False):
    """Declares accumulators c{r}_{v}, each from its own load of zeros rather than one shared zero register (same bits:
    0 + x = x). With the shared zero C2 drew a spilled accumulator in about 1 AVX2 JVM of 3 (C22). shared: one zero
    register, for the largest kernels, where the 16 extra loads made C1 give up ("out of virtual registers", C27) and the
    method ran interpreted until C2 compiled it (215 ms a pass in one probe JVM)."""
    if shared:
        return ["        FloatVector z = FloatVector.zero(S);"] + ["        FloatVector " + ", ".join(f"c{r}_{v} = z" for v in range(V)) + ";" for r in range(R)]
    return ["        FloatVector " + ", ".join(f"c{r}_{v} = FloatVector.fromArray(S, ZEROS, {V * r + v} * VL)" for v in range(V)) + ";"
            for r in range(R)]


DOT = [1, 2, 3, 4]


def dot_kernel(R, stacked=False):
    """Backward-weight with vectors over positions: R output channels x the three kx of one (ci, ky). stacked: the same
    code under another name, so that C2 compiles it from its own profile."""
    L = []
    if stacked:
        L.append(f"    /** {{@link #dot{R}x3}}'s code, called only on stacked one-vector rows: its own profile, so its own C2 compile (C22). */")
    else:
        L.append(f"    /**")
        L.append(f"     * {R} gradient rows {{@code g[go + r*gs ...]}} times the image row shifted by kx = 0, 1, 2, summed over")
        L.append(f"     * {{@code rows}} rows of {{@code cols}} positions (whole vectors; g rows contiguous, x rows {{@code xs}} apart):")
        L.append(f"     * {{@code acc[ao + r*as + kx*VL ...] +=}} the lane partials.")
        L.append(f"     */")
    name = f"dotStacked{R}x3" if stacked else f"dot{R}x3"
    L.append(f"    static void {name}(int rows, int cols, float[] g, int go, int gs, float[] x, int xo, int xs, float[] acc, int ao, int as) {{")
    L.extend(zero_accumulators(R, 3))
    # one flat loop over the positions (g rows are contiguous; x skips xs - cols at each row end): C2 unrolled
    # the nested form's inner loop and spilled 258 vectors (12 FMAs in 2491 instructions, 5 GFLOP/s)
    L.append("        int xi = xo, col = 0, skip = xs - cols;")
    L.append("        for (int t = go, end = go + rows * cols; t < end; t += VL) {")
    for r in range(R):
        off = "t" if r == 0 else (f"t + gs" if r == 1 else f"t + {r} * gs")
        L.append(f"            FloatVector g{r} = FloatVector.fromArray(S, g, {off});")
    L.append("            FloatVector v;")
    for k in range(3):
        L.append(f"            v = FloatVector.fromArray(S, x, xi{'' if k == 0 else f' + {k}'});")
        L.append("            " + " ".join(f"c{r}_{k} = g{r}.fma(v, c{r}_{k});" for r in range(R)))
    L.append("            xi += VL;")
    L.append("            col += VL;")
    L.append("            if (col == cols) {")
    L.append("                col = 0;")
    L.append("                xi += skip;")
    L.append("            }")
    L.append("        }")
    for r in range(R):
        for k in range(3):
            i = "ao" + ("" if r == 0 else (" + as" if r == 1 else f" + {r} * as")) + ("" if k == 0 else (" + VL" if k == 1 else f" + {k} * VL"))
            L.append(f"        c{r}_{k}.add(FloatVector.fromArray(S, acc, {i})).intoArray(acc, {i});")
    L.append("    }")
    return "\n".join(L)


def const_panel(R, V):
    """Table kernels with two or more vectors take A's stride as the constant panel height R, not an argument: C2 then
    hoists A's range checks out of the loop and needs no multiply, so fewer instructions per tap reach the front end
    (C23: AVX2 4x2t 3% faster). One-vector tiles keep the argument: with the checks gone C2 issues all R broadcasts
    before the FMAs, R + R + 1 vectors live, and 8x1t spilled an accumulator at AVX2 (2.4x slower)."""
    return V >= 2


def kernel(R, V, table, packed=False):
    """packed: the GEMM's packed panels, A's stride R and B's V * VL as constants (G9: C2 drops B's range checks and a
    multiply; AVX2 sgemm 7-12% faster on an Ice Lake Xeon, AVX-512 unchanged)."""
    L = []
    name = f"kernel{R}x{V}" + ("t" if table else "k" if packed else "")
    if table:
        if const_panel(R, V):
            L.append(f"    /** {R} x {V} vectors, A row p broadcast from {{@code a[ao + p*{R} + i]}} (panels of {R} rows), B row p at {{@code b[bo + koff[p]]}}, its vectors {{@code bs}} apart (implicit GEMM over a padded image). */")
            L.append(f"    static void {name}(int kc, float[] a, int ao, float[] b, int bo, int bs, int[] koff, float[] c, int co, int ldc, boolean load) {{")
        else:
            L.append(f"    /** {R} x {V} vectors, B row p at {{@code b[bo + koff[p]]}}, its vectors {{@code bs}} apart (implicit GEMM over a padded image). */")
            L.append(f"    static void {name}(int kc, float[] a, int ao, int as, float[] b, int bo, int bs, int[] koff, float[] c, int co, int ldc, boolean load) {{")
    elif packed:
        L.append(f"    /** {R} x {V} vectors over packed panels: A row p broadcast from {{@code a[ao + p*{R} + i]}}, B row p at {{@code b[bo + p*{V}*VL]}}. */")
        L.append(f"    static void {name}(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc, float alpha, boolean load) {{")
    else:
        L.append(f"    /** {R} x {V} vectors: A row p broadcast from {{@code a[ao + p*as + i]}}, B row p at {{@code b[bo + p*bs]}}. */")
        L.append(f"    static void {name}(int kc, float[] a, int ao, int as, float[] b, int bo, int bs, float[] c, int co, int ldc, float alpha, boolean load) {{")
    L.extend(zero_accumulators(R, V))
    L.append("        for (int p = 0; p < kc; p++) {")
    if table:
        L.append(f"            int bi = bo + koff[p], ai = ao + p * {R if const_panel(R, V) else 'as'};")
    elif packed:
        L.append(f"            int bi = bo + p * ({V} * VL), ai = ao + p * {R};")
    else:
        L.append(f"            int bi = bo + p * bs, ai = ao + p * as;")
    for v in range(V):
        # table kernels: B's vectors bs apart (VL: one row of positions; a padded row: two output rows of one vector each)
        L.append(f"            FloatVector b{v} = FloatVector.fromArray(S, b, bi{vo(v, 'bs' if table else 'VL')});")
    L.append("            FloatVector x;")
    for r in range(R):
        L.append(f"            x = FloatVector.broadcast(S, a[ai + {r}]);" if r else "            x = FloatVector.broadcast(S, a[ai]);")
        L.append("            " + " ".join(f"c{r}_{v} = x.fma(b{v}, c{r}_{v});" for v in range(V)))
    L.append("        }")
    # stores written out, no helper: a helper C2 has compiled on its own may not be inlined, and then every accumulator is boxed
    if not table:
        L.append("        FloatVector al = FloatVector.broadcast(S, alpha);")
    idx = []
    for r in range(R):
        base = "co" if r == 0 else (f"co + ldc" if r == 1 else f"co + {r} * ldc")
        for v in range(V):
            idx.append((f"c{r}_{v}", base + vo(v)))
    L.append("        if (load) {")
    for acc, i in idx:
        L.append(f"            {acc}.{'add(' if table else 'fma(al, '}FloatVector.fromArray(S, c, {i})).intoArray(c, {i});")
    L.append("        } else {")
    for acc, i in idx:
        L.append(f"            {acc}{'' if table else '.mul(al)'}.intoArray(c, {i});")
    L.append("        }")
    L.append("    }")
    return "\n".join(L)

HEADER = """package kr.engine.backend.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-blocked float32 micro-kernels shared by {@link Gemm} and {@link DirectConv}: one tile of
 * {@code rows x (vectors * VL)} outputs, every accumulator a local so C2 keeps it in a register.
 * A rows are broadcast from {@code a[ao + p*as + i]}; B rows are vectors at {@code b[bo + p*bs]}
 * (or at {@code b[bo + koff[p]]} for the table kernels, which read a padded image in place). The
 * position kernels turn it around: rows are consecutive positions of a padded image, broadcast from
 * {@code a[ao + koff[p] + i]}, and the vectors run over output channels (B = packed weights).
 * {@code C = alpha * acc} or, with {@code load}, {@code C += alpha * acc} (table kernels: alpha 1).
 *
 * <p>Measured on JDK 17 (AVX-512): up to 16 accumulators stay in registers; with 24 C2 spills them,
 * hence no 8x3 or 12x2 tiles. GENERATED by engine/tools/gen_kernels.py: edit that, not this file.
 */
final class Kernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();
    /** AVX-512 (and wider) machines have 32 vector registers, AVX2 16. */
    static final boolean WIDE = S.vectorBitSize() >= 512;
    /** Zeros the accumulators start from, one vector each (distinct values for C2's register allocator, C22). */
    private static final float[] ZEROS = new float[ZEROS_VECTORS * VL];

    private Kernels() {}

    /** A micro-kernel shape: {@code rows x vectors}; table kernels read B through an offset table, position kernels A. */
    record Tile(int id, int rows, int vectors, boolean table, boolean positions) {
        int cols() {
            return vectors * VL;
        }

        @Override
        public String toString() {
            return rows + "x" + cols();
        }
    }
"""


def shape(t):
    """(rows, vectors) of a tile name such as "8x2", "4x2t" or "8x2p"."""
    r, v = t.rstrip("tp").split("x")
    return int(r), int(v)


def name(t):
    return "T" + t.upper().replace("X", "x")


def main(path=None):
    tiles = STRIDED + TABLE + POSITIONS
    accumulators = max([3 * max(DOT)] + [r * v for r, v in map(shape, tiles)])
    out = [HEADER.replace("ZEROS_VECTORS * VL", f"{accumulators} * VL")]
    for i, t in enumerate(tiles):
        r, v = shape(t)
        out.append(f"    static final Tile {name(t)} = new Tile({i}, {r}, {v}, {'true' if t.endswith('t') else 'false'}, {'true' if t.endswith('p') else 'false'});")
    out.append("")
    out.append("    /** The tile called {@code name}, e.g. \"5x3\" (5 rows, 3 vectors), \"8x2t\" (table kernel) or \"8x2p\" (position kernel). */")
    out.append("    static Tile byName(String name) {")
    out.append("        for (Tile t : new Tile[] {" + ", ".join(name(t) for t in tiles) + "})")
    out.append("            if ((t.rows() + \"x\" + t.vectors() + (t.table() ? \"t\" : t.positions() ? \"p\" : \"\")).equals(name)) return t;")
    out.append("        throw new IllegalArgumentException(\"[gemm] unknown tile '\" + name + \"'\");")
    out.append("    }")
    out.append("")
    out.append("    static void run(Tile t, int kc, float[] a, int ao, int as, float[] b, int bo, int bs, float[] c, int co, int ldc, float alpha,")
    out.append("            boolean load) {")
    out.append("        switch (t.id()) {")
    for i, t in enumerate(STRIDED):
        out.append(f"            case {i} -> kernel{t}(kc, a, ao, as, b, bo, bs, c, co, ldc, alpha, load);")
    out.append("            default -> throw new IllegalArgumentException(\"[gemm] tile \" + t + \" is not a strided kernel\");")
    out.append("        }")
    out.append("    }")
    out.append("")
    out.append("    /** {@link #run} over the GEMM's packed panels ({@code as} = t.rows(), {@code bs} = t.cols()), the strides as constants. */")
    out.append("    static void runPacked(Tile t, int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc, float alpha, boolean load) {")
    out.append("        switch (t.id()) {")
    for i, t in enumerate(STRIDED):
        out.append(f"            case {i} -> kernel{t}k(kc, a, ao, b, bo, c, co, ldc, alpha, load);")
    out.append("            default -> throw new IllegalArgumentException(\"[gemm] tile \" + t + \" is not a strided kernel\");")
    out.append("        }")
    out.append("    }")
    out.append("")
    out.append("    /** The table kernel of tile t; {@code as} must be t.rows() (weights packed in panels of t.rows() rows). */")
    out.append("    static void runTable(Tile t, int kc, float[] a, int ao, int as, float[] b, int bo, int bs, int[] koff, float[] c, int co, int ldc,")
    out.append("            boolean load) {")
    out.append("        switch (t.id()) {")
    for i, t in enumerate(TABLE):
        r, v = shape(t)
        out.append(f"            case {i + len(STRIDED)} -> kernel{t}(kc, a, ao, {'' if const_panel(r, v) else 'as, '}b, bo, bs, koff, c, co, ldc, load);")
    out.append("            default -> throw new IllegalArgumentException(\"[conv2d] tile \" + t + \" is not a table kernel\");")
    out.append("        }")
    out.append("    }")
    out.append("")
    out.append("    static void runPositions(Tile t, int kc, float[] a, int ao, int[] koff, float[] b, int bo, int bs, float[] c, int co, int ldc, boolean load) {")
    out.append("        switch (t.id()) {")
    for i, t in enumerate(POSITIONS):
        out.append(f"            case {i + len(STRIDED) + len(TABLE)} -> kernel{t}(kc, a, ao, koff, b, bo, bs, c, co, ldc, load);")
    out.append("            default -> throw new IllegalArgumentException(\"[conv2d] tile \" + t + \" is not a position kernel\");")
    out.append("        }")
    out.append("    }")
    out.append("")
    out.append("    /** The position kernel of tile t over runs of three consecutive taps ({@code goff[g]}: the offset of run g's first tap). */")
    out.append("    static void runPositions3(Tile t, int runs, float[] a, int ao, int[] goff, float[] b, int bo, int bs, float[] c, int co, int ldc, boolean load) {")
    out.append("        switch (t.id()) {")
    for i, t in enumerate(POSITIONS):
        out.append(f"            case {i + len(STRIDED) + len(TABLE)} -> kernel{t}3(runs, a, ao, goff, b, bo, bs, c, co, ldc, load);")
    out.append("            default -> throw new IllegalArgumentException(\"[conv2d] tile \" + t + \" is not a position kernel\");")
    out.append("        }")
    out.append("    }")
    out.append("")
    out.append("    /** As {@link #runPositions3} with consecutive positions two floats apart (stride 2 over the unsplit image). */")
    out.append("    static void runPositions3s2(Tile t, int runs, float[] a, int ao, int[] goff, float[] b, int bo, int bs, float[] c, int co, int ldc, boolean load) {")
    out.append("        switch (t.id()) {")
    for i, t in enumerate(POSITIONS):
        out.append(f"            case {i + len(STRIDED) + len(TABLE)} -> kernel{t}3s2(runs, a, ao, goff, b, bo, bs, c, co, ldc, load);")
    out.append("            default -> throw new IllegalArgumentException(\"[conv2d] tile \" + t + \" is not a position kernel\");")
    out.append("        }")
    out.append("    }")
    out.append("")
    for prefix, doc in (("dot", ""), ("dotStacked", ": as {@link #dot} for the stacked images' one-vector rows")):
        out.append("    /** {@code " + prefix + "{R}x3} for R = rows (1 to " + str(max(DOT)) + ")" + doc + ". */")
        out.append(f"    static void {prefix}(int r, int rows, int cols, float[] g, int go, int gs, float[] x, int xo, int xs, float[] acc, int ao, int as) {{")
        out.append("        switch (r) {")
        for R in DOT:
            out.append(f"            case {R} -> {prefix}{R}x3(rows, cols, g, go, gs, x, xo, xs, acc, ao, as);")
        out.append("            default -> throw new IllegalArgumentException(\"[conv2d] no dot kernel for \" + r + \" rows\");")
        out.append("        }")
        out.append("    }")
        out.append("")
    out.append("    // ------------------------------------------------------------------ one method per tile")
    out.append("")
    for t in tiles:
        r, v = shape(t)
        out.append(positions_kernel(r, v) if t.endswith("p") else kernel(r, v, t.endswith("t")))
        out.append("")
        if t in STRIDED:
            out.append(kernel(r, v, False, True))
            out.append("")
        if t.endswith("p"):
            out.append(positions_kernel(r, v, 3))
            out.append("")
            out.append(positions_kernel(r, v, 3, 2))
            out.append("")
    for R in DOT:
        out.append(dot_kernel(R))
        out.append("")
    for R in DOT:
        out.append(dot_kernel(R, True))
        out.append("")
    out.append("}")
    if path is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "main", "java", "kr", "engine", "backend", "vector", "Kernels.java")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 2:
        sys.exit("usage: gen_kernels.py [OUT]")
    main(sys.argv[1] if len(sys.argv) == 2 else None)
