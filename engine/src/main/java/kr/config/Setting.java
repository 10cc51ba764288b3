package kr.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares a field of a settings class as one setting, once: its name (the field's, in snake_case
 * for files and kebab-case for flags), type (the field's), default (the field's initial value),
 * validation and help. A {@link Binder} reads, writes, validates and documents the class from these.
 *
 * <pre>{@code
 * @Setting(help = "Epochs", min = 1) public int epochs = 240;           // key "epochs", flag --epochs
 * @Setting(help = "SGD momentum", min = 0, max = 1) public double momentum = 0.9;
 * @Setting(help = "Learning-rate schedule", oneOf = {"multistep", "cosine"}) public String schedule = "multistep";
 * }</pre>
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface Setting {
    /** One line of help (the default is appended by the help text). */
    String help();

    /** The key in experiment files; empty: the field name in snake_case. */
    String key() default "";

    /** Command-line names; empty: {@code --} and the key in kebab-case. Extra names are aliases. */
    String[] flags() default {};

    /** The value's name in help ({@code N}, {@code LR}); empty: derived from the type. */
    String label() default "";

    /** Smallest allowed value of a number (inclusive unless {@link #minExclusive}). */
    double min() default Double.NEGATIVE_INFINITY;

    boolean minExclusive() default false;

    /** Largest allowed value of a number (inclusive unless {@link #maxExclusive}). */
    double max() default Double.POSITIVE_INFINITY;

    boolean maxExclusive() default false;

    /** The values a string may take (empty: any). */
    String[] oneOf() default {};

    /** How help describes a null default ("0.1 with kd, else 1"); empty: the initial value. */
    String defaultText() default "";

    /** False for settings that only experiment files carry (no command-line flag). */
    boolean flag() default true;
}
