package dev.mbi.edge;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A full stack (control plane, edge, test page) for a test, shared by every test of the run that
 * asks for the same configuration. On a class it names the stack its {@link TestStack}
 * parameters get (constructor, lifecycle or test methods); on one parameter it names another.
 *
 * <pre>
 * &#64;Stack("MAX_SESSIONS=3")
 * class FullStackTest {
 *     FullStackTest(TestStack stack) { ... }
 *
 *     &#64;Test
 *     void desktop(&#64;Stack("RUNNER_CAPTURE=desktop") TestStack desktop) { ... }
 * }
 * </pre>
 *
 * Configurations known only at run time (free ports, a Docker bridge's address) come from a
 * {@link Stacks} parameter. See {@link StackExtension}.
 */
@Target({ElementType.TYPE, ElementType.PARAMETER})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(StackExtension.class)
@interface Stack {
    /** The control plane's settings, each NAME=value, over the stack's defaults. */
    String[] value() default {};

    /** The edge's settings, each NAME=value (PORT and CONTROL_PLANE_ADDR are the stack's). */
    String[] edge() default {};
}
