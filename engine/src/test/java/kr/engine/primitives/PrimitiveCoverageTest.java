package kr.engine.primitives;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import kr.engine.torch.GoldenCoverage;
import net.jqwik.api.Property;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * Every primitive (the permitted subclasses of the sealed {@link Primitive}, recursively) has the
 * three checks the engine promises, and this test names each one that lacks any:
 * <ol>
 *   <li>a jqwik property class {@code kr.engine.primitives.<Name>Test} with {@code @Property}
 *       methods that, for a differentiable primitive, compare its vjp with finite differences
 *       through {@code GradProperty.assertGradients} (found in the compiled class);
 *   <li>a {@code BackendConformanceTest} case marked {@link Covers} with the primitive (vector
 *       backend against the scalar reference);
 *   <li>a PyTorch golden case whose kr side runs the primitive ({@link GoldenCoverage} runs every
 *       case and reads the primitives off its autograd graph).
 * </ol>
 * A primitive that cannot have one of them is listed below with the reason; an exemption that is
 * no longer needed fails too, so the lists stay true.
 */
class PrimitiveCoverageTest {
    /** Primitives without a PyTorch golden case, and why. */
    static final Map<Class<? extends Primitive>, String> NO_GOLDEN = Map.of(Transfer.class,
            "moves a tensor to another device through host memory: the values are copied unchanged and PyTorch's golden run is CPU-only;"
                    + " TransferTest checks the copy bit for bit and that the gradient comes back");
    /** Primitives without a BackendConformanceTest case, and why (none today). */
    static final Map<Class<? extends Primitive>, String> NO_CONFORMANCE = Map.of();
    /** Primitives without a jqwik property class, and why (none today). */
    static final Map<Class<? extends Primitive>, String> NO_PROPERTY = Map.of();

    static final String CONFORMANCE = "kr.engine.backend.BackendConformanceTest";

    static Map<Class<? extends Primitive>, List<String>> golden;

    @BeforeAll
    static void runGoldenCases() {
        golden = GoldenCoverage.casesByPrimitive();
    }

    /** The concrete primitives: permitted subclasses of Primitive, descending into sealed ones. */
    static List<Class<? extends Primitive>> primitives() {
        List<Class<? extends Primitive>> out = new ArrayList<>();
        collect(Primitive.class, out);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void collect(Class<?> c, List<Class<? extends Primitive>> out) {
        if (!c.isInterface() && !Modifier.isAbstract(c.getModifiers())) out.add((Class<? extends Primitive>) c);
        if (c.isSealed()) for (Class<?> s : c.getPermittedSubclasses()) collect(s, out);
    }

    @Test
    void everyPrimitiveHasAPropertyTestAConformanceCaseAndAGoldenCase() {
        List<String> missing = new ArrayList<>();
        Map<Class<? extends Primitive>, List<String>> conformance = conformanceCases();
        for (Class<? extends Primitive> p : primitives()) {
            String name = p.getSimpleName();
            if (!NO_PROPERTY.containsKey(p)) {
                String why = propertyTestProblem(p);
                if (why != null) missing.add(name + ": " + why);
            }
            if (!NO_CONFORMANCE.containsKey(p) && !conformance.containsKey(p))
                missing.add(name + ": no backend conformance case (no test method of " + CONFORMANCE + " is marked @Covers(" + name + ".class))");
            if (!NO_GOLDEN.containsKey(p) && !golden.containsKey(p))
                missing.add(name + ": no PyTorch golden case (no case of golden/" + String.join(", golden/", GoldenCoverage.FAMILIES)
                        + " runs it: add one to engine/src/test/python/make_golden.py, or an exemption with its reason in NO_GOLDEN)");
        }
        if (!missing.isEmpty())
            fail("[coverage] " + missing.size() + " missing check" + (missing.size() == 1 ? "" : "s") + ":\n  " + String.join("\n  ", missing));
    }

    /** An exemption for a primitive that has the check after all is stale: it must go. */
    @Test
    void everyExemptionIsStillNeeded() {
        Map<Class<? extends Primitive>, List<String>> conformance = conformanceCases();
        for (var p : NO_GOLDEN.keySet())
            assertFalse(golden.containsKey(p), () -> "[coverage] " + p.getSimpleName() + " is exempt from golden cases but " + golden.get(p) + " run it");
        for (var p : NO_CONFORMANCE.keySet())
            assertFalse(conformance.containsKey(p), () -> "[coverage] " + p.getSimpleName() + " is exempt from conformance but " + conformance.get(p) + " cover it");
        for (var p : NO_PROPERTY.keySet())
            assertTrue(propertyTestProblem(p) != null, () -> "[coverage] " + p.getSimpleName() + " is exempt from property tests but has one");
    }

    /** The walk must see the whole sealed hierarchy, not an empty or partial list. */
    @Test
    void theWalkFindsTheKnownPrimitives() {
        List<Class<? extends Primitive>> ps = primitives();
        assertTrue(ps.containsAll(List.of(Unary.class, Conv2d.class, Pad.class, Transfer.class, Compare.class)), ps::toString);
        assertTrue(ps.size() >= 22, () -> ps.size() + " primitives: " + ps);
    }

    /** Null when {@code p}'s property class is there and checks what it must, else what is wrong. */
    static String propertyTestProblem(Class<? extends Primitive> p) {
        String cls = p.getPackageName() + "." + p.getSimpleName() + "Test";
        Class<?> t;
        try {
            t = Class.forName(cls);
        } catch (ClassNotFoundException e) {
            return "no property test (" + cls + " not found: add it with @Property methods checking the vjp against finite differences)";
        }
        long props = Arrays.stream(t.getDeclaredMethods()).filter(m -> m.isAnnotationPresent(Property.class)).count();
        if (props == 0) return "no property test (" + cls + " has no @Property method)";
        if (differentiable(p) && !classFileMentions(t, "assertGradients"))
            return "no vjp check (" + cls + " never calls GradProperty.assertGradients, the finite-difference comparison)";
        return null;
    }

    /** Non-differentiable primitives override {@link Primitive#differentiable()} (to return false); the rest inherit true. */
    static boolean differentiable(Class<? extends Primitive> p) {
        try {
            p.getDeclaredMethod("differentiable");
            return false;
        } catch (NoSuchMethodException e) {
            return true;
        }
    }

    /** Whether the compiled class (lambdas included) refers to a member named {@code name}. */
    static boolean classFileMentions(Class<?> c, String name) {
        try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class")) {
            return in != null && new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).contains(name);
        } catch (IOException e) {
            throw new IllegalStateException("[coverage] cannot read the class file of " + c.getName(), e);
        }
    }

    /** Primitive -> BackendConformanceTest test methods marked {@link Covers} with it. */
    static Map<Class<? extends Primitive>, List<String>> conformanceCases() {
        Class<?> t;
        try {
            t = Class.forName(CONFORMANCE);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("[coverage] " + CONFORMANCE + " not found", e);
        }
        Map<Class<? extends Primitive>, List<String>> r = new LinkedHashMap<>();
        for (Method m : t.getDeclaredMethods()) {
            Covers c = m.getAnnotation(Covers.class);
            if (c == null) continue;
            // a mark on a helper would claim coverage that no test runs
            if (!m.isAnnotationPresent(ParameterizedTest.class) && !m.isAnnotationPresent(Test.class))
                throw new IllegalStateException("[coverage] " + CONFORMANCE + "." + m.getName() + " is marked @Covers but is not a test");
            for (Class<? extends Primitive> p : c.value()) r.computeIfAbsent(p, k -> new ArrayList<>()).add(m.getName());
        }
        return r;
    }
}
