package kr.engine.primitives;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a BackendConformanceTest case with the primitives whose kernels it checks against the
 * scalar reference; {@link PrimitiveCoverageTest} requires one case per primitive. Class literals,
 * not names, so a renamed or removed primitive fails to compile here.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Covers {
    Class<? extends Primitive>[] value();
}
