package dev.mbi.controlplane.testing;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.util.Map;

/** The control plane's API as tests call it: the token their control planes are started with. */
public final class TestApi {
    /** CONTROL_PLANE_TOKEN of every test control plane (and of the edges in front of them). */
    public static final String TOKEN = "test-control-plane-token-0123456789";
    public static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private TestApi() {
    }

    /** The settings a test control plane needs besides its own: ephemeral ports and the token. */
    public static Map<String, String> controlPlaneEnv() {
        return Map.of("GRPC_PORT", "0", "API_GRPC_PORT", "0", "METRICS_PORT", "0", "CONTROL_PLANE_TOKEN", TOKEN);
    }

    /** Calls on this channel carry {@code authorization: <value>}. */
    public static Channel withAuthorization(Channel channel, String value) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, value);
        return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /** Calls on this channel carry the test token. */
    public static Channel withToken(Channel channel) {
        return withAuthorization(channel, "Bearer " + TOKEN);
    }
}
