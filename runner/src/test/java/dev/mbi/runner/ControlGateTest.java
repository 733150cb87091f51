package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mbi.proto.v1.ControlHolder;
import org.junit.jupiter.api.Test;

class ControlGateTest {

    @Test
    void viewersInputPassesUnlessAnAgentHoldsControl() {
        ControlGate gate = new ControlGate();
        assertTrue(gate.humanMayAct(), "shared at first");
        assertTrue(gate.set(ControlHolder.CONTROL_HOLDER_AGENT));
        assertFalse(gate.humanMayAct());
        assertFalse(gate.set(ControlHolder.CONTROL_HOLDER_AGENT), "no change");
        assertTrue(gate.set(ControlHolder.CONTROL_HOLDER_HUMAN));
        assertTrue(gate.humanMayAct());
        assertTrue(gate.set(ControlHolder.UNRECOGNIZED));
        assertEquals(ControlHolder.CONTROL_HOLDER_SHARED, gate.holder(), "an unknown holder counts as shared");
    }
}
