package dev.mbi.controlplane.core;

/**
 * Who may act on a session's page: viewers (a person), DevTools clients (an agent), or both.
 * Whoever does not hold control is refused with a message that says how to get it.
 */
public enum ControlHolder {
    SHARED, AGENT, HUMAN;

    /** As the API spells it: "shared", "agent", "human". */
    public String value() {
        return name().toLowerCase();
    }
}
