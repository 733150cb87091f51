package dev.mbi.controlplane.core;

import com.google.protobuf.ByteString;

/**
 * One automation client of a session's DevTools endpoint, as the session rules see it: pieces of
 * DevTools messages from the runner go to it in order. Calls must not block (they queue).
 */
public interface CdpClient {
    /** A piece of one DevTools message; {@code last} completes the message. */
    void data(ByteString piece, boolean last);

    /** The connection is over (the runner closed it, the session ended); no calls follow. */
    void closed(String reason);
}
