package dev.mbi.runner.egress;

import dev.mbi.egress.HostName;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

/** Local servers and raw clients for the egress proxy's tests. */
final class EgressFixtures {
    private EgressFixtures() {
    }

    static InetAddress ip(String literal) {
        return HostName.parse(literal).literal().orElseThrow();
    }

    /**
     * An HTTP server on one address that answers every request with its own name, the path and
     * the request headers; {@code /redirect?URL} answers 302 to URL, {@code /echo} echoes the body.
     */
    static HttpServer origin(String name, InetSocketAddress at, ExecutorService executor) throws IOException {
        HttpServer server = HttpServer.create(at, 50);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (exchange) {
                String path = exchange.getRequestURI().getRawPath();
                if (path.equals("/redirect")) {
                    exchange.getResponseHeaders().add("Location", exchange.getRequestURI().getRawQuery());
                    exchange.sendResponseHeaders(302, -1);
                    return;
                }
                byte[] in = exchange.getRequestBody().readAllBytes();
                String headers = exchange.getRequestHeaders().entrySet().stream()
                        .map(e -> e.getKey().toLowerCase() + ": " + String.join(",", e.getValue()))
                        .sorted().collect(Collectors.joining("\n"));
                String text = path.equals("/echo") ? new String(in, StandardCharsets.UTF_8)
                        : "<html><body><h1 id=\"who\">" + name + "</h1><pre>" + exchange.getRequestMethod() + " "
                          + exchange.getRequestURI() + "\n" + headers + "</pre></body></html>";
                byte[] body = text.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
                exchange.sendResponseHeaders(200, path.equals("/chunked") ? 0 : body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        server.start();
        return server;
    }

    /** A WebSocket server that echoes text frames of up to 125 bytes. */
    static final class WebSocketEcho implements AutoCloseable {
        final ServerSocket server;
        final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

        WebSocketEcho(InetSocketAddress at) throws IOException {
            server = new ServerSocket();
            server.bind(at);
            executor.execute(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        executor.execute(() -> serve(s));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        private static void serve(Socket s) {
            try (s) {
                InputStream in = new BufferedInputStream(s.getInputStream());
                HttpHead head = HttpHead.read(in);
                String key = head.headers().stream().filter(h -> h.name().equalsIgnoreCase("Sec-WebSocket-Key"))
                        .findFirst().orElseThrow().value();
                String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                        .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.ISO_8859_1)));
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                while (true) {
                    int b0 = in.read();
                    int b1 = in.read();
                    if (b0 < 0 || b1 < 0 || (b0 & 0x0f) == 8) {
                        return;
                    }
                    int len = b1 & 0x7f;
                    byte[] mask = in.readNBytes(4);
                    byte[] payload = in.readNBytes(len);
                    for (int i = 0; i < len; i++) {
                        payload[i] ^= mask[i % 4];
                    }
                    out.write(new byte[] {(byte) 0x81, (byte) len});
                    out.write(payload);
                    out.flush();
                }
            } catch (Exception e) {
                // the client went away
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            executor.shutdownNow();
        }
    }

    /** Sends bytes to the proxy and reads everything until it closes. */
    static String exchange(InetSocketAddress proxy, String request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(proxy, 5_000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /** A CONNECT through the proxy: the socket, positioned after the proxy's answer, and that answer. */
    record Tunnel(Socket socket, InputStream in, HttpHead answer) implements AutoCloseable {
        int status() {
            return answer == null ? -1 : answer.status();
        }

        String header(String name) {
            return answer.headers().stream().filter(h -> h.name().equalsIgnoreCase(name)).map(HttpHead.Header::value)
                    .findFirst().orElse(null);
        }

        /** Sends a request through the open tunnel and reads the whole answer. */
        String send(String request) throws IOException {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            return all.toString(StandardCharsets.ISO_8859_1);
        }

        /** True when the proxy closed the connection after its answer. */
        boolean closedByProxy() throws IOException {
            return in.read() < 0;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    static Tunnel connect(InetSocketAddress proxy, String authority) throws IOException {
        Socket s = new Socket();
        s.connect(proxy, 5_000);
        s.setSoTimeout(10_000);
        s.getOutputStream().write(("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(s.getInputStream());
        return new Tunnel(s, in, HttpHead.read(in));
    }

    /** A resolver from a fixed table; other names do not resolve. Counts lookups. */
    static class TableResolver implements HostResolver {
        private final Map<String, List<InetAddress>> table;
        final List<String> lookups = new java.util.concurrent.CopyOnWriteArrayList<>();

        TableResolver(Map<String, List<InetAddress>> table) {
            this.table = Map.copyOf(table);
        }

        @Override
        public List<InetAddress> resolve(String name) throws UnknownHostException {
            lookups.add(name);
            List<InetAddress> a = table.get(name);
            if (a == null) {
                throw new UnknownHostException(name);
            }
            return a;
        }
    }
}
