package dev.mbi.runner;

import com.ruiyun.jvppeteer.api.core.Connection;
import com.ruiyun.jvppeteer.transport.ConnectionTransport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * jvppeteer's connection to Chromium over {@code --remote-debugging-pipe}: each DevTools message
 * is one JSON text ended by a NUL byte, commands written to Chromium's stdin (its descriptor 3,
 * see {@link ChromiumCommand}) and replies and events read from its stdout (descriptor 4).
 * Messages are read on one thread and handed to the connection in order; when Chromium's end
 * closes (it exited), the connection is told it is closed.
 */
final class CdpPipe implements ConnectionTransport {
    private static final Logger LOG = Logger.getLogger(CdpPipe.class.getName());

    private final InputStream fromChromium;
    private final OutputStream toChromium;
    private final Executor reader;
    private final AtomicBoolean reading = new AtomicBoolean();
    private volatile Connection connection;
    private volatile boolean closed;
    /** Sees every message from Chromium before jvppeteer does; what it claims never reaches jvppeteer. */
    private volatile Tap tap;

    /** Messages from Chromium that belong to someone else (the automation clients, {@link CdpClients}). */
    interface Tap {
        /** Whether the message is the tap's: then jvppeteer never sees it. Called on the read thread, in order. */
        boolean claim(String message);

        /** Chromium's end of the pipe closed: nothing more will come. */
        void chromiumGone();
    }

    /** @param reader runs the read loop, which lasts as long as Chromium */
    CdpPipe(InputStream fromChromium, OutputStream toChromium, Executor reader) {
        this.fromChromium = fromChromium;
        this.toChromium = toChromium;
        this.reader = reader;
    }

    @Override
    public void send(String message) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        synchronized (toChromium) {
            try {
                toChromium.write(bytes);
                toChromium.write(0);
                toChromium.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("Chromium's DevTools pipe is closed", e);
            }
        }
    }

    @Override
    public void onMessage(String message) {
        Connection c = connection;
        if (c != null) {
            c.onMessage(message);
        }
    }

    /** Set before the connection is made, so that no message passes the tap unseen. */
    void setTap(Tap tap) {
        this.tap = tap;
    }

    /** Called by the connection as it is made (and with null as it closes); reading starts then. */
    @Override
    public void setConnection(Connection connection) {
        this.connection = connection;
        if (connection != null && reading.compareAndSet(false, true)) {
            reader.execute(this::readLoop);
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (toChromium) {
            try {
                toChromium.close();
            } catch (IOException e) {
                LOG.log(Level.FINE, "closing the DevTools pipe", e);
            }
        }
    }

    private void readLoop() {
        byte[] chunk = new byte[64 * 1024];
        ByteArrayOutputStream message = new ByteArrayOutputStream(64 * 1024);
        try (InputStream in = fromChromium) {
            int n;
            while ((n = in.read(chunk)) >= 0) {
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (chunk[i] == 0) {
                        message.write(chunk, start, i - start);
                        deliver(message.toString(StandardCharsets.UTF_8));
                        message.reset();
                        start = i + 1;
                    }
                }
                message.write(chunk, start, n - start);
            }
        } catch (IOException e) {
            if (!closed) {
                LOG.log(Level.FINE, "reading the DevTools pipe failed", e);
            }
        }
        // Chromium is gone (or its pipe closed): nothing more will come.
        Tap t = tap;
        if (t != null) {
            try {
                t.chromiumGone();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "telling the DevTools clients that Chromium is gone failed", e);
            }
        }
        Connection c = connection;
        if (c != null) {
            try {
                c.onClose();
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "closing the DevTools connection", e);
            }
        }
    }

    private void deliver(String message) {
        try {
            Tap t = tap;
            if (t != null && t.claim(message)) {
                return;
            }
            onMessage(message);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "a DevTools message could not be handled", e);
        }
    }
}
