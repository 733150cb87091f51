package dev.mbi.controlplane.core;

import dev.mbi.proto.v1.ControlMessage;

/** The control plane's side of one runner's stream. */
public interface RunnerChannel {
    /** Sends one message; never throws (a broken stream is noticed and reported separately). */
    void send(ControlMessage message);

    /** Ends the stream from our side. */
    void close();
}
