package kr.engine.backend;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a test class (or method) that needs a CUDA device: it carries the JUnit tag "gpu", so
 * {@code mvn verify -Dgroups=gpu} runs only these and {@code -DexcludedGroups=gpu} leaves them out.
 * By default they run everywhere and, without a GPU, skip through an assumption ({@code kr.cuda.Gpu.backend()}, {@link GpuTests#cuda()}).
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Tag("gpu")
public @interface GpuTest {}
