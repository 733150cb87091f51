package dev.mbi.runner;

import dev.onvoid.webrtc.CreateSessionDescriptionObserver;
import dev.onvoid.webrtc.RTCAnswerOptions;
import dev.onvoid.webrtc.RTCPeerConnection;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.SetSessionDescriptionObserver;
import java.util.concurrent.CompletableFuture;

/** libwebrtc's session-description calls, whose observers are called back on its threads, as futures. */
final class SdpCalls {
    private SdpCalls() {
    }

    static CompletableFuture<Void> setRemote(RTCPeerConnection pc, RTCSessionDescription description) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            pc.setRemoteDescription(description, observer(done, BadOffer::new));
        } catch (Error e) {
            // webrtc-java throws java.lang.Error for a description libwebrtc cannot parse: a viewer's bad offer.
            done.completeExceptionally(new BadOffer(e.getMessage()));
        }
        return done;
    }

    static CompletableFuture<Void> setLocal(RTCPeerConnection pc, RTCSessionDescription description) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            pc.setLocalDescription(description, observer(done, error -> new IllegalStateException("setLocalDescription: " + error)));
        } catch (Error e) {
            done.completeExceptionally(new IllegalStateException("setLocalDescription: " + e.getMessage()));
        }
        return done;
    }

    static CompletableFuture<RTCSessionDescription> createAnswer(RTCPeerConnection pc) {
        CompletableFuture<RTCSessionDescription> created = new CompletableFuture<>();
        pc.createAnswer(new RTCAnswerOptions(), new CreateSessionDescriptionObserver() {
            @Override
            public void onSuccess(RTCSessionDescription description) {
                created.complete(description);
            }

            @Override
            public void onFailure(String error) {
                created.completeExceptionally(new IllegalStateException("createAnswer: " + error));
            }
        });
        return created;
    }

    /** A viewer's offer that libwebrtc cannot take: the viewer's fault, not the runner's. */
    static final class BadOffer extends IllegalArgumentException {
        BadOffer(String why) {
            super("bad session description: " + why);
        }
    }

    private static SetSessionDescriptionObserver observer(CompletableFuture<Void> done,
                                                          java.util.function.Function<String, RuntimeException> failure) {
        return new SetSessionDescriptionObserver() {
            @Override
            public void onSuccess() {
                done.complete(null);
            }

            @Override
            public void onFailure(String error) {
                done.completeExceptionally(failure.apply(error));
            }
        };
    }
}
