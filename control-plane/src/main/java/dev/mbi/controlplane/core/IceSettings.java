package dev.mbi.controlplane.core;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The ICE servers WebRTC peers use, for viewers and runners alike. With a TURN secret, each
 * session gets short-lived credentials in coturn's REST-API form instead of a shared password.
 */
public record IceSettings(
        String stunUrl,
        boolean turnEnabled,
        String turnHost,
        int turnPort,
        String turnUsername,
        String turnCredential,
        String turnSecret,
        Duration turnTtl,
        boolean relayOnly,
        int webrtcTimeoutSec) {

    /** One STUN or TURN server as WebRTC's RTCIceServer has it. */
    public record Server(List<String> urls, String username, String credential) {
    }

    public static IceSettings none() {
        return new IceSettings("", false, "", 3478, "", "", "", Duration.ofHours(1), false, 15);
    }

    /** Everything but the TURN credential and secret, which are never shown. */
    @Override
    public String toString() {
        return "IceSettings[stunUrl=" + stunUrl + ", turnEnabled=" + turnEnabled + ", turnHost=" + turnHost
                + ", turnPort=" + turnPort + ", turnUsername=" + turnUsername
                + ", turnCredential=" + (turnCredential.isEmpty() ? "" : "(hidden)")
                + ", turnSecret=" + (turnSecret.isEmpty() ? "" : "(hidden)") + ", turnTtl=" + turnTtl
                + ", relayOnly=" + relayOnly + ", webrtcTimeoutSec=" + webrtcTimeoutSec + "]";
    }

    /** The servers for one session, with TURN credentials valid from now for the TTL. */
    public List<Server> serversFor(String sessionId, Instant now) {
        List<Server> servers = new ArrayList<>();
        if (!stunUrl.isBlank()) {
            servers.add(new Server(List.of(stunUrl), "", ""));
        }
        if (turnEnabled) {
            List<String> urls = List.of(
                    "turn:" + turnHost + ":" + turnPort + "?transport=udp",
                    "turn:" + turnHost + ":" + turnPort + "?transport=tcp");
            if (!turnSecret.isEmpty()) {
                String username = (now.getEpochSecond() + turnTtl.toSeconds()) + ":" + sessionId;
                servers.add(new Server(urls, username, restCredential(turnSecret, username)));
            } else {
                servers.add(new Server(urls, turnUsername, turnCredential));
            }
        }
        return servers;
    }

    /** coturn's use-auth-secret scheme: base64(HMAC-SHA1(secret, username)). */
    static String restCredential(String secret, String username) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(username.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 is part of every JDK", e);
        }
    }
}
