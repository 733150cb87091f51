package dev.mbi.controlplane.core;

import dev.mbi.proto.v1.IceServer;
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

    public static IceSettings none() {
        return new IceSettings("", false, "", 3478, "", "", "", Duration.ofHours(1), false, 15);
    }

    /** The servers for one session, with TURN credentials valid from now for the TTL. */
    public List<IceServer> serversFor(String sessionId, Instant now) {
        List<IceServer> servers = new ArrayList<>();
        if (!stunUrl.isBlank()) {
            servers.add(IceServer.newBuilder().addUrls(stunUrl).build());
        }
        if (turnEnabled) {
            IceServer.Builder turn = IceServer.newBuilder()
                    .addUrls("turn:" + turnHost + ":" + turnPort + "?transport=udp")
                    .addUrls("turn:" + turnHost + ":" + turnPort + "?transport=tcp");
            if (!turnSecret.isEmpty()) {
                String username = (now.getEpochSecond() + turnTtl.toSeconds()) + ":" + sessionId;
                turn.setUsername(username).setCredential(restCredential(turnSecret, username));
            } else {
                turn.setUsername(turnUsername).setCredential(turnCredential);
            }
            servers.add(turn.build());
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
