package dev.mbi.runner.egress;

import dev.mbi.egress.UpstreamProxy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A filtering forward proxy on 127.0.0.1 that Chromium is pointed at ({@link #chromiumFlags()}),
 * so that every connection the page makes is judged by the {@link EgressPolicy} first. It carries:
 * <ul>
 *   <li>plain HTTP in absolute form ({@code GET http://host/path HTTP/1.1}): forwarded in origin
 *       form with {@code Connection: close} both ways, so one request per connection (whatever a
 *       client sends after it on that connection can only reach the same checked address);</li>
 *   <li>{@code CONNECT host:port}: https, ws and wss (Chromium tunnels WebSockets, even ws://,
 *       through CONNECT), relayed as bytes.</li>
 * </ul>
 * Anything else is refused. For each request the host is parsed as a URL parser would, the host
 * rules checked, the name looked up once with the {@link HostResolver}, every address checked,
 * and the connection made to a checked address, never to the name again (so a DNS answer that
 * changes in between, "DNS rebinding", cannot lead anywhere unchecked). A blocked CONNECT gets
 * {@code 403} and is closed; a blocked plain request gets {@code 403} with a small HTML page that
 * names the host and the rule, which Chromium shows for a top-level navigation. Both carry the
 * rule in an {@code X-Egress-Blocked} header and are reported to the {@link Listener}.
 *
 * <p>With an {@link UpstreamProxy}, every allowed connection is a {@code CONNECT} to the checked
 * address through it. Connections to the upstream proxy itself are not judged by the policy.
 *
 * <p>Threads: one task accepts, and each client connection runs on a task of its own plus one
 * for the way back, all on the executor given (the runner passes its virtual-thread executor);
 * {@link #close()} closes every socket, which ends them.
 */
public final class EgressProxy implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EgressProxy.class.getName());
    /** The response header that names the rule of a block. */
    public static final String BLOCKED_HEADER = "X-Egress-Blocked";

    /** Told about every request the policy refused. Called on a proxy thread; must not block. */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = (host, reason) -> { };

        /**
         * @param host the host as requested, canonical ({@code 127.0.0.1}, {@code [::1]},
         *             {@code example.com}); for reports and logs, never a metric label
         * @param reason the rule that blocked it: count by {@link Decision.Reason#label()}
         */
        void onBlocked(String host, Decision.Reason reason);
    }

    private final AtomicReference<EgressPolicy> policy;
    private final HostResolver resolver;
    private final Optional<UpstreamProxy> upstream;
    private final Listener listener;
    private final Duration connectTimeout;
    private final Duration headTimeout;
    private final ExecutorService executor;
    private final boolean ownsExecutor;
    private final ServerSocket server;
    private final Set<Socket> live = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private EgressProxy(Builder b, ServerSocket server, ExecutorService executor, boolean ownsExecutor) {
        this.server = server;
        // The proxy never connects to itself (a request loop), whatever the policy allows.
        this.policy = new AtomicReference<>(b.policy.denyingEndpoint(
                new InetSocketAddress(server.getInetAddress(), server.getLocalPort())));
        this.resolver = b.resolver;
        this.upstream = b.upstream;
        this.listener = b.listener;
        this.connectTimeout = b.connectTimeout;
        this.headTimeout = b.headTimeout;
        this.executor = executor;
        this.ownsExecutor = ownsExecutor;
    }

    public static Builder builder(EgressPolicy policy) {
        return new Builder(policy);
    }

    /** The proxy's settings; {@link #start()} binds it. */
    public static final class Builder {
        private final EgressPolicy policy;
        private HostResolver resolver = HostResolver.system();
        private Optional<UpstreamProxy> upstream = Optional.empty();
        private Listener listener = Listener.NONE;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration headTimeout = Duration.ofSeconds(30);
        private ExecutorService executor;

        private Builder(EgressPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
        }

        /** How names are looked up; default {@link HostResolver#system()}. */
        public Builder resolver(HostResolver resolver) {
            this.resolver = Objects.requireNonNull(resolver, "resolver");
            return this;
        }

        /** An HTTP proxy every allowed connection goes through ({@code EGRESS_PROXY}). */
        public Builder upstream(Optional<UpstreamProxy> upstream) {
            this.upstream = Objects.requireNonNull(upstream, "upstream");
            return this;
        }

        public Builder listener(Listener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** How long connecting to a destination (or the upstream proxy) may take; default 10 s. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = requirePositive(timeout);
            return this;
        }

        /** How long a client may take to send its request head; default 30 s. */
        public Builder headTimeout(Duration timeout) {
            this.headTimeout = requirePositive(timeout);
            return this;
        }

        /**
         * Where connections are served: a thread per task (virtual threads), not closed by the
         * proxy. Without one, the proxy makes its own and shuts it down on close.
         */
        public Builder executor(ExecutorService executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /** Binds 127.0.0.1 on a free port and starts accepting. */
        public EgressProxy start() throws IOException {
            ServerSocket server = new ServerSocket();
            try {
                // 127.0.0.1 itself, not getLoopbackAddress() (::1 with preferIPv6Addresses): the flags name it.
                server.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 128);
            } catch (IOException e) {
                server.close();
                throw e;
            }
            boolean owns = executor == null;
            ExecutorService ex = owns
                    ? Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("egress-", 1).factory())
                    : executor;
            EgressProxy proxy = new EgressProxy(this, server, ex, owns);
            try {
                ex.execute(proxy::acceptLoop);
            } catch (RejectedExecutionException e) {
                proxy.close();
                throw new IOException("the executor refused the proxy's accept loop", e);
            }
            LOG.fine(() -> "egress proxy on " + proxy.address() + ", " + proxy.policy());
            return proxy;
        }

        private static Duration requirePositive(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("timeout must be positive: " + d);
            }
            return d;
        }
    }

    /** Where the proxy listens: 127.0.0.1 and an ephemeral port. */
    public InetSocketAddress address() {
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The Chromium flags that send all its traffic through this proxy; see {@link #chromiumFlags(int)}. */
    public List<String> chromiumFlags() {
        return chromiumFlags(port());
    }

    /**
     * The Chromium flags that send all its traffic through a proxy on 127.0.0.1:{@code port}:
     * <ul>
     *   <li>{@code --proxy-server}: http, https, ws and wss go to the proxy;</li>
     *   <li>{@code --proxy-bypass-list=<-loopback>}: without it Chromium goes directly to
     *       localhost, 127.0.0.1 and [::1], around the proxy;</li>
     *   <li>{@code --disable-quic}: no HTTP/3 over UDP;</li>
     *   <li>{@code --force-webrtc-ip-handling-policy=disable_non_proxied_udp}: a page's WebRTC uses
     *       no UDP, only TCP through the proxy.</li>
     * </ul>
     */
    public static List<String> chromiumFlags(int port) {
        return List.of(
                "--proxy-server=http://127.0.0.1:" + port,
                "--proxy-bypass-list=<-loopback>",
                "--disable-quic",
                "--force-webrtc-ip-handling-policy=disable_non_proxied_udp");
    }

    /** The policy in force now. */
    public EgressPolicy policy() {
        return policy.get();
    }

    /** Denies these hosts too from now on (a session's own list); connections already open stay. */
    public void denyHosts(Collection<String> patterns) {
        narrow(p -> p.denyingHosts(patterns));
    }

    /** Denies every port of these addresses from now on. */
    public void denyAddresses(Collection<InetAddress> addresses) {
        narrow(p -> p.denyingAddresses(addresses));
    }

    /** Denies one address and port from now on (e.g. Chromium's own DevTools port). */
    public void denyEndpoint(InetSocketAddress endpoint) {
        narrow(p -> p.denyingEndpoint(endpoint));
    }

    private void narrow(UnaryOperator<EgressPolicy> narrowing) {
        policy.updateAndGet(narrowing);
    }

    /** Stops accepting and closes every connection. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing the egress proxy's socket", e);
        }
        for (Socket s : live) {
            closeQuietly(s);
        }
        if (ownsExecutor) {
            executor.shutdownNow();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(Level.WARNING, "egress proxy stopped accepting", e);
                }
                return;
            }
            track(client);
            try {
                executor.execute(() -> new ProxyExchange(this, client).run());
            } catch (RejectedExecutionException e) {
                closeQuietly(client);
            }
        }
    }

    // ---- for ProxyExchange

    public EgressPolicy currentPolicy() {
        return policy.get();
    }

    HostResolver resolver() {
        return resolver;
    }

    Optional<UpstreamProxy> upstream() {
        return upstream;
    }

    Duration connectTimeout() {
        return connectTimeout;
    }

    Duration headTimeout() {
        return headTimeout;
    }

    ExecutorService executor() {
        return executor;
    }

    void blocked(String host, Decision.Reason reason) {
        try {
            listener.onBlocked(host, reason);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "egress listener failed", e);
        }
    }

    /** Registers a socket that {@link #close()} must close; closes it at once if the proxy is closed. */
    boolean track(Socket s) {
        live.add(s);
        if (closed) {
            closeQuietly(s);
            return false;
        }
        return true;
    }

    void closeQuietly(Socket s) {
        live.remove(s);
        try {
            s.close();
        } catch (IOException e) {
            // already gone
        }
    }

    boolean isClosed() {
        return closed;
    }
}
