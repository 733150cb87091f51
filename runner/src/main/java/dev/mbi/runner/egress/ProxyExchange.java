package dev.mbi.runner.egress;

import dev.mbi.egress.UpstreamProxy;
import dev.mbi.egress.HostName;
import dev.mbi.runner.egress.Decision.Reason;
import dev.mbi.runner.egress.HttpHead.Header;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/** One client connection of the {@link EgressProxy}: one request, then a relay or a refusal. */
final class ProxyExchange {
    private static final Logger LOG = Logger.getLogger(ProxyExchange.class.getName());
    private static final int BUFFER = 16 * 1024;
    /** How long the other side may stay silent once one side has finished sending. */
    private static final int HALF_CLOSED_TIMEOUT_MS = 60_000;

    private final EgressProxy proxy;
    private final Socket client;

    /** A request's destination as the client wrote it. */
    private record Target(String host, int port, String authority) {
    }

    /** A connection to a checked destination, read through {@code in} (which may hold bytes already). */
    private record Link(Socket socket, InputStream in) {
    }

    ProxyExchange(EgressProxy proxy, Socket client) {
        this.proxy = proxy;
        this.client = client;
    }

    void run() {
        boolean relaying = false;
        try {
            client.setTcpNoDelay(true);
            client.setSoTimeout((int) proxy.headTimeout().toMillis());
            InputStream in = new BufferedInputStream(client.getInputStream(), BUFFER);
            OutputStream out = client.getOutputStream();
            HttpHead head;
            try {
                head = HttpHead.read(in);
            } catch (HttpHead.MalformedException e) {
                respond(out, 400, "Bad Request", null, BlockedPage.page("Bad request", "The proxy could not read this request: " + BlockedPage.html(String.valueOf(e.getMessage())) + "."));
                return;
            }
            if (head == null) {
                return;
            }
            relaying = handle(head, in, out);
        } catch (SocketTimeoutException e) {
            LOG.fine(() -> "egress: a client sent no request in time");
        } catch (IOException e) {
            LOG.log(Level.FINE, "egress: client connection failed", e);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "egress: a request failed", e);
        } finally {
            if (!relaying) {
                proxy.closeQuietly(client);
            }
        }
    }

    /** Returns true when a relay now owns both sockets. */
    private boolean handle(HttpHead head, InputStream in, OutputStream out) throws IOException {
        String[] start = head.startParts();
        if (start.length != 3 || !(start[2].equals("HTTP/1.1") || start[2].equals("HTTP/1.0"))) {
            respond(out, 400, "Bad Request", null, BlockedPage.page("Bad request", "The proxy speaks HTTP/1.1 only."));
            return false;
        }
        String method = start[0];
        String target = start[1];
        boolean connect = method.equals("CONNECT");
        Target t;
        String authority;
        String pathAndQuery = null;
        if (connect) {
            authority = target;
            t = authority(target, target, 443);
        } else if (target.regionMatches(true, 0, "http://", 0, 7)) {
            String rest = target.substring(7);
            int end = firstOf(rest, "/?#");
            authority = rest.substring(0, end);
            String path = rest.substring(end);
            int hash = path.indexOf('#');
            if (hash >= 0) {
                path = path.substring(0, hash);
            }
            pathAndQuery = path.isEmpty() ? "/" : path.startsWith("?") ? "/" + path : path;
            t = authority(authority, authority, 80);
        } else if (target.indexOf("://") > 0) {
            String scheme = target.substring(0, target.indexOf("://")).toLowerCase(Locale.ROOT);
            String rest = target.substring(target.indexOf("://") + 3);
            String host = rest.substring(0, firstOf(rest, "/?#"));
            return refuse(out, connect, host, Reason.UNSUPPORTED, null, "the proxy does not carry " + scheme + ":// requests");
        } else {
            respond(out, 400, "Bad Request", null, BlockedPage.page("Bad request", "This is a proxy: ask it for absolute http:// URLs, or CONNECT."));
            return false;
        }
        if (t == null) {
            return refuse(out, connect, authority, Reason.INVALID_HOST, null, null);
        }

        EgressPolicy policy = proxy.currentPolicy();
        EgressPolicy.Verdict verdict;
        try {
            verdict = policy.evaluate(t.host(), t.port(), proxy.resolver());
        } catch (UnknownHostException e) {
            LOG.fine(() -> "egress: cannot resolve " + t.host());
            fail(out, connect, t.host(), "its name does not resolve");
            return false;
        }
        if (!verdict.allowed()) {
            // For a name, the page also says which of its addresses was refused.
            InetAddress deciding = verdict.host().isLiteral() ? null : verdict.addresses().stream()
                    .filter(a -> !policy.checkAddress(a, t.port()).allowed())
                    .findFirst().orElse(null);
            return refuse(out, connect, verdict.host().forUrl(), verdict.decision().reason(), deciding, null);
        }

        Link link;
        try {
            link = connect(verdict);
        } catch (IOException e) {
            LOG.fine(() -> "egress: cannot connect to " + verdict.host() + ": " + e.getMessage());
            fail(out, connect, verdict.host().forUrl(), "the connection failed (" + e.getMessage() + ")");
            return false;
        }
        LOG.fine(() -> "egress: " + method + " " + verdict.host() + ":" + t.port() + " via " + link.socket().getInetAddress().getHostAddress());
        client.setSoTimeout(0);
        if (connect) {
            try {
                out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (IOException e) {
                proxy.closeQuietly(link.socket());
                throw e;
            }
            return relay(in, link, false);
        }
        List<Header> headers = new ArrayList<>();
        headers.add(new Header("Host", t.authority()));
        headers.addAll(head.endToEnd("host"));
        headers.add(new Header("Connection", "close"));
        try {
            OutputStream up = link.socket().getOutputStream();
            up.write(HttpHead.encode(method + " " + pathAndQuery + " " + start[2], headers));
            up.flush();
        } catch (IOException e) {
            proxy.closeQuietly(link.socket());
            fail(out, false, verdict.host().forUrl(), "the connection failed (" + e.getMessage() + ")");
            return false;
        }
        return relay(in, link, true);
    }

    /** Host and port of {@code host:port} / {@code [v6]:port}, or null when it cannot be split. */
    private static Target authority(String authority, String original, int defaultPort) {
        if (authority.isEmpty() || authority.indexOf('@') >= 0) {
            return null;
        }
        String host;
        String portText;
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0) {
                return null;
            }
            host = authority.substring(0, close + 1);
            String after = authority.substring(close + 1);
            if (!after.isEmpty() && !after.startsWith(":")) {
                return null;
            }
            portText = after.isEmpty() ? "" : after.substring(1);
        } else {
            int colon = authority.indexOf(':');
            if (colon >= 0 && authority.indexOf(':', colon + 1) >= 0) {
                return null; // an IPv6 address must be in brackets
            }
            host = colon < 0 ? authority : authority.substring(0, colon);
            portText = colon < 0 ? "" : authority.substring(colon + 1);
        }
        int port = defaultPort;
        if (!portText.isEmpty()) {
            if (!portText.matches("\\d{1,5}")) {
                return null;
            }
            port = Integer.parseInt(portText);
        }
        return host.isEmpty() ? null : new Target(host, port, original);
    }

    private static int firstOf(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return s.length();
    }

    // ---- connecting

    private Link connect(EgressPolicy.Verdict verdict) throws IOException {
        IOException last = null;
        for (InetAddress address : verdict.addresses()) {
            try {
                return proxy.upstream().isPresent()
                        ? throughUpstream(proxy.upstream().get(), address, verdict.port())
                        : direct(new InetSocketAddress(address, verdict.port()));
            } catch (IOException e) {
                last = e;
            }
        }
        throw last != null ? last : new IOException("no address");
    }

    private Link direct(InetSocketAddress to) throws IOException {
        Socket s = new Socket();
        if (!proxy.track(s)) {
            throw new IOException("the proxy is closed");
        }
        try {
            s.setTcpNoDelay(true);
            s.connect(to, (int) proxy.connectTimeout().toMillis());
            return new Link(s, new BufferedInputStream(s.getInputStream(), BUFFER));
        } catch (IOException e) {
            proxy.closeQuietly(s);
            throw e;
        }
    }

    /** A CONNECT to the checked address (never the name) through the upstream proxy. */
    private Link throughUpstream(UpstreamProxy upstream, InetAddress address, int port) throws IOException {
        HostName upstreamHost = HostName.parse(upstream.host());
        InetSocketAddress upstreamAddress = upstreamHost.literal()
                .map(a -> new InetSocketAddress(a, upstream.port()))
                .orElseGet(() -> new InetSocketAddress(upstreamHost.name(), upstream.port()));
        if (upstreamAddress.isUnresolved()) {
            throw new UnknownHostException("upstream proxy " + upstream.host());
        }
        Link link = direct(upstreamAddress);
        try {
            String target = (address instanceof Inet6Address ? "[" + address.getHostAddress() + "]" : address.getHostAddress()) + ":" + port;
            OutputStream out = link.socket().getOutputStream();
            out.write(HttpHead.encode("CONNECT " + target + " HTTP/1.1", List.of(new Header("Host", target))));
            out.flush();
            link.socket().setSoTimeout((int) proxy.connectTimeout().toMillis());
            HttpHead answer = HttpHead.read(link.in());
            int status = answer == null ? -1 : answer.status();
            if (status < 200 || status > 299) {
                throw new IOException("the upstream proxy answered " + (answer == null ? "nothing" : answer.startLine()));
            }
            link.socket().setSoTimeout(0);
            return link;
        } catch (IOException e) {
            proxy.closeQuietly(link.socket());
            throw e;
        }
    }

    // ---- relaying

    /**
     * Copies bytes both ways until both sides are done; when one side stops sending, the other
     * gets {@link #HALF_CLOSED_TIMEOUT_MS} to finish. With {@code response}, the upstream's
     * response head is rewritten on its way (hop-by-hop headers out, {@code Connection: close}).
     */
    private boolean relay(InputStream clientIn, Link link, boolean response) {
        Socket upstream = link.socket();
        AtomicInteger open = new AtomicInteger(2);
        Runnable back = () -> pump(link.in(), upstream, client, open, response);
        try {
            proxy.executor().execute(back);
        } catch (RejectedExecutionException e) {
            proxy.closeQuietly(upstream);
            proxy.closeQuietly(client);
            return true;
        }
        pump(clientIn, client, upstream, open, false);
        return true;
    }

    private void pump(InputStream from, Socket fromSocket, Socket to, AtomicInteger open, boolean response) {
        byte[] buffer = new byte[BUFFER];
        try {
            OutputStream out = to.getOutputStream();
            if (response && !relayResponseHead(from, out)) {
                closeBoth(fromSocket, to);
                return;
            }
            int n;
            while ((n = from.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
            try {
                to.shutdownOutput();
                to.setSoTimeout(HALF_CLOSED_TIMEOUT_MS); // the way back reads from `to`: it gets a deadline
            } catch (IOException e) {
                // the other side is gone as well
            }
            if (open.decrementAndGet() == 0) {
                closeBoth(fromSocket, to);
            }
        } catch (IOException e) {
            closeBoth(fromSocket, to);
        }
    }

    /** Reads the upstream's response head(s) and writes them rewritten; false when there is none. */
    private boolean relayResponseHead(InputStream from, OutputStream out) throws IOException {
        while (true) {
            HttpHead head;
            try {
                head = HttpHead.read(from);
            } catch (HttpHead.MalformedException e) {
                head = null;
            }
            int status = head == null ? -1 : head.status();
            if (status < 0) {
                respond(out, 502, "Bad Gateway", null, BlockedPage.page("Bad gateway", "The server sent no valid HTTP response."));
                return false;
            }
            boolean interim = status >= 100 && status < 200 && status != 101;
            List<Header> headers = new ArrayList<>(head.endToEnd());
            if (!interim) {
                headers.add(new Header("Connection", "close"));
            }
            out.write(HttpHead.encode(head.startLine(), headers));
            out.flush();
            if (!interim) {
                return true;
            }
        }
    }

    private void closeBoth(Socket a, Socket b) {
        proxy.closeQuietly(a);
        proxy.closeQuietly(b);
    }

    // ---- answers

    /** A policy refusal: 403, reported to the listener. Always false (no relay). */
    private boolean refuse(OutputStream out, boolean connect, String host, Reason reason, InetAddress address, String detail)
            throws IOException {
        String shown = BlockedPage.printable(host);
        LOG.fine(() -> "egress: blocked " + shown + (address == null ? "" : " (" + address.getHostAddress() + ")") + ": " + reason.label());
        proxy.blocked(shown, reason);
        String body = BlockedPage.blocked(shown, address == null ? null : address.getHostAddress(), reason.label(), detail);
        respond(out, 403, "Forbidden", reason, connect ? null : body);
        return false;
    }

    /** A destination that could not be reached: 502, not a policy decision. */
    private void fail(OutputStream out, boolean connect, String host, String why) throws IOException {
        respond(out, 502, "Bad Gateway", null,
                connect ? null : BlockedPage.page("Cannot reach " + host, "The remote browser could not reach <b>" + BlockedPage.html(host) + "</b>: " + BlockedPage.html(why) + "."));
    }

    private static void respond(OutputStream out, int status, String text, Reason blocked, String htmlBody) throws IOException {
        byte[] body = htmlBody == null ? new byte[0] : htmlBody.getBytes(StandardCharsets.UTF_8);
        List<Header> headers = new ArrayList<>();
        if (htmlBody != null) {
            headers.add(new Header("Content-Type", "text/html; charset=utf-8"));
        }
        headers.add(new Header("Content-Length", Integer.toString(body.length)));
        headers.add(new Header("Cache-Control", "no-store"));
        if (blocked != null) {
            headers.add(new Header(EgressProxy.BLOCKED_HEADER, blocked.label()));
        }
        headers.add(new Header("Connection", "close"));
        out.write(HttpHead.encode("HTTP/1.1 " + status + " " + text, headers));
        out.write(body);
        out.flush();
    }
}
