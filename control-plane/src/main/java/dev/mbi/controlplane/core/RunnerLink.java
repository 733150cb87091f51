package dev.mbi.controlplane.core;

import dev.mbi.proto.v1.InputEvent;

/**
 * What the session rules say to one runner. The transport turns each call into its wire message.
 * Calls never block and never throw: they queue for the runner's stream, so the rules may call
 * them while holding a session's lock (and so keep their order); a runner that stops reading is
 * given up on by the transport, which then reports the stream as gone.
 */
public interface RunnerLink {
    /** The answer to a registration: what to open and how. */
    void welcome(RunnerWelcome welcome);

    /** Whether anyone watches: frames flow only while someone does. */
    void framesEnabled(boolean enabled);

    /** A viewer's WebRTC offer, to be answered with the viewer's id. */
    void offer(String viewerId, String sdp);

    /** A viewer's input, passed through as the viewer sent it. */
    void input(InputEvent event);

    /** A DevTools client connected: the runner gives it its own browser-level session. */
    void cdpOpen(String clientId);

    /** A piece of one of a client's DevTools messages, in order. */
    void cdpData(String clientId, com.google.protobuf.ByteString piece, boolean last);

    /** A DevTools client went away: the runner detaches what it attached. */
    void cdpClose(String clientId, String reason);

    /** Reads a download, at most {@code credit} pieces until more are granted. */
    void downloadRead(String requestId, String downloadId, int credit);

    void downloadCredit(String requestId, int pieces, boolean cancel);

    /** A piece of an upload for a page's file chooser. */
    void upload(dev.mbi.proto.v1.UploadPiece piece);

    /** Who may act on the page changed. */
    void control(ControlHolder holder);

    /** The session ended: the runner closes Chromium and exits; the stream is closed after this. */
    void shutdown(String reason);
}
