package dev.mbi.runner;

import dev.onvoid.webrtc.CreateSessionDescriptionObserver;
import dev.onvoid.webrtc.RTCAnswerOptions;
import dev.onvoid.webrtc.RTCPeerConnection;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.SetSessionDescriptionObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/** libwebrtc's session-description calls, whose observers are called back on its threads, as futures. */
final class SdpCalls {
    private SdpCalls() {
    }

    /** A viewer's offer: one libwebrtc refuses fails with {@link BadOffer}. */
    static CompletableFuture<Void> setRemote(RTCPeerConnection pc, RTCSessionDescription description) {
        return set(observer -> pc.setRemoteDescription(description, observer), BadOffer::new);
    }

    static CompletableFuture<Void> setLocal(RTCPeerConnection pc, RTCSessionDescription description) {
        return set(observer -> pc.setLocalDescription(description, observer),
                error -> new IllegalStateException("setLocalDescription: " + error));
    }

    private static CompletableFuture<Void> set(Consumer<SetSessionDescriptionObserver> call, Function<String, RuntimeException> failure) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        SetSessionDescriptionObserver observer = new SetSessionDescriptionObserver() {
            @Override
            public void onSuccess() {
                done.complete(null);
            }

            @Override
            public void onFailure(String error) {
                done.completeExceptionally(failure.apply(error));
            }
        };
        try {
            call.accept(observer);
        } catch (Error e) {
            // webrtc-java throws java.lang.Error for a description libwebrtc cannot parse.
            done.completeExceptionally(failure.apply(e.getMessage()));
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
}
