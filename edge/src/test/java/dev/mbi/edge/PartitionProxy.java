package dev.mbi.edge;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A TCP relay on 127.0.0.1 between runners and the control plane that can partition the network
 * the way a failing link does: while partitioned, every byte in either direction is swallowed
 * (connections stay open and go silent, and new ones are accepted and hear nothing). Healing
 * drops what was held, as a router that lost its state would, and relays again.
 */
final class PartitionProxy implements AutoCloseable {
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile int targetPort;
    private volatile boolean partitioned;

    PartitionProxy() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    /** Where connections go (the control plane's runner port, known once it started). */
    void target(int port) {
        targetPort = port;
    }

    void partition() {
        partitioned = true;
    }

    void heal() {
        for (Socket s : open) {
            closeQuietly(s);
        }
        partitioned = false;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                open.add(client);
                threads.execute(() -> relay(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void relay(Socket client) {
        Socket upstream = null;
        try {
            if (partitioned) {
                // Heard nothing, answered nothing, until the partition heals (which closes it).
                client.getInputStream().transferTo(OutputStream.nullOutputStream());
                return;
            }
            upstream = new Socket();
            open.add(upstream);
            upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5_000);
            Socket up = upstream;
            threads.execute(() -> pump(up, client));
            pump(client, up);
        } catch (IOException e) {
            // the other side went away
        } finally {
            closeQuietly(client);
            if (upstream != null) {
                closeQuietly(upstream);
            }
        }
    }

    /** Copies bytes from one socket to the other, swallowing them while partitioned. */
    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream()) {
            OutputStream out = to.getOutputStream();
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                if (!partitioned) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            }
        } catch (IOException e) {
            // closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void closeQuietly(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        heal();
        threads.shutdownNow();
    }
}
