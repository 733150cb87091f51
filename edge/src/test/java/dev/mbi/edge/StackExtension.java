package dev.mbi.edge;

import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Starts each distinct {@link StackConfig} once per test run and hands the same {@link TestStack}
 * to every test that asks for it, in any class; the run's end closes them all (they live in the
 * root context's store, which closes what it holds).
 *
 * <p>Tests sharing a stack must not see each other: after each test every stack its class used
 * ends the sessions still pending or ready (so they no longer count against MAX_SESSIONS) and
 * forgets what its test page reported; before each test the page's reports are dropped again.
 */
final class StackExtension implements ParameterResolver, BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(StackExtension.class);
    private static final String USED = "stacks used by this class";

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == TestStack.class || type == Stacks.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (parameter.getParameter().getType() == Stacks.class) {
            return new Stacks(config -> stack(context, config));
        }
        StackConfig config = parameter.findAnnotation(Stack.class)
                .or(() -> AnnotationSupport.findAnnotation(context.getRequiredTestClass(), Stack.class))
                .map(StackConfig::of)
                .orElseThrow(() -> new ParameterResolutionException("which stack? Annotate " + context.getRequiredTestClass()
                        .getSimpleName() + " or the parameter with @Stack, or take a Stacks parameter"));
        return stack(context, config);
    }

    private static TestStack stack(ExtensionContext context, StackConfig config) {
        TestStack stack = context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(config, TestStack::start, TestStack.class);
        used(context).add(stack);
        return stack;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        used(context).forEach(stack -> stack.site.clearReports());
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        for (TestStack stack : used(context)) {
            stack.reset();
        }
    }

    /** The stacks a test class has asked for, kept in the class's own store. */
    @SuppressWarnings("unchecked")
    private static Set<TestStack> used(ExtensionContext context) {
        ExtensionContext classContext = context;
        while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
            classContext = classContext.getParent().get();
        }
        return classContext.getStore(NAMESPACE).getOrComputeIfAbsent(USED, k -> new CopyOnWriteArraySet<TestStack>(), Set.class);
    }
}
