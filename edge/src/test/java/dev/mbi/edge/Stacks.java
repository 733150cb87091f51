package dev.mbi.edge;

import java.util.function.Function;

/**
 * The run's shared stacks, for configurations known only at run time. Ask for it as a parameter
 * of a class that uses {@link StackExtension}: {@code @BeforeAll static void start(Stacks stacks)}.
 */
final class Stacks {
    private final Function<StackConfig, TestStack> lookup;

    Stacks(Function<StackConfig, TestStack> lookup) {
        this.lookup = lookup;
    }

    /** The stack of this configuration, started now unless an earlier test already did. */
    TestStack get(StackConfig config) {
        return lookup.apply(config);
    }
}
