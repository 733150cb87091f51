package dev.mbi.controlplane.core;

/** A runner's answer to one viewer's WebRTC offer; the viewer id names the runner's peer for it. */
public record WebRtcAnswer(String viewerId, String sdp) {
}
