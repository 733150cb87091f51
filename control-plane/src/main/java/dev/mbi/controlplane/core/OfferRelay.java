package dev.mbi.controlplane.core;

import dev.mbi.proto.v1.SignalAnswer;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * WebRTC signalling between viewers and runners: each offer gets a viewer id, goes to the
 * session's runner, and waits (up to the offer timeout) for the runner's answer to that id.
 */
final class OfferRelay {
    private static final Logger LOG = Logger.getLogger(OfferRelay.class.getName());

    private record Pending(String sessionId, CompletableFuture<WebRtcAnswer> answer) {
    }

    private final Duration timeout;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    OfferRelay(Duration timeout) {
        this.timeout = timeout;
    }

    CompletableFuture<WebRtcAnswer> offer(Session s, String sdp) throws SessionException {
        RunnerLink runner = s.offerTarget();
        String viewerId = UUID.randomUUID().toString();
        CompletableFuture<WebRtcAnswer> answer = new CompletableFuture<>();
        pending.put(viewerId, new Pending(s.id, answer));
        runner.offer(viewerId, sdp);
        return answer.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((a, failure) -> pending.remove(viewerId));
    }

    /** The runner's answer, or its reason for having none. Answers to offers nobody waits for are dropped. */
    void answered(String sessionId, SignalAnswer answer) {
        String viewerId = answer.getViewerId();
        String error = answer.getError();
        Pending p = pending.get(viewerId);
        if (p == null || !p.sessionId().equals(sessionId)) {
            return;
        }
        if (error.isEmpty()) {
            p.answer().complete(new WebRtcAnswer(viewerId, answer.getSdp()));
        } else if (answer.getOfferRefused()) {
            // The viewer's offer is at fault: said as such (400), and no warning about the runner.
            LOG.info("session " + sessionId + ": the offer of viewer " + viewerId + " was refused: " + error);
            p.answer().completeExceptionally(new SessionException(SessionException.Reason.INVALID,
                    "the offer was refused: " + error));
        } else {
            LOG.warning("session " + sessionId + ": runner could not answer viewer " + viewerId + ": " + error);
            p.answer().completeExceptionally(new SessionException(SessionException.Reason.RUNNER_UNREACHABLE,
                    "runner unreachable: " + error));
        }
    }

    /** The session ended: every offer still waiting fails at once. */
    void sessionEnded(String sessionId) {
        pending.values().stream().filter(p -> p.sessionId().equals(sessionId)).toList()
                .forEach(p -> p.answer().completeExceptionally(new SessionException(
                        SessionException.Reason.RUNNER_UNREACHABLE, "runner unreachable: the session ended")));
    }
}
