package org.besip.pbx.internal.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.List;
import java.util.function.Supplier;

import org.besip.core.api.traffic.TrafficInspector;
import org.besip.core.api.traffic.Transport;
import org.besip.core.api.traffic.Verdict;

/**
 * SIP over UDP (RFC 3261 §18): one thread reads datagrams, asks every registered
 * {@link TrafficInspector} first (a DROP is silent), then hands the bytes to the handler; answers go
 * back to the datagram's source (RFC 3581 rport behaviour).
 */
public final class UdpTransport implements AutoCloseable {

    /** What to do with an accepted datagram; returns the bytes to send back, or null. */
    public interface Handler {
        byte[] handle(byte[] data, int len, InetSocketAddress source);
    }

    private final DatagramChannel channel;
    private final boolean owned;
    private final InetSocketAddress local;
    private final Selector selector;
    private final Thread reader;
    private volatile boolean running = true;

    /** Binds its own socket to {@code bind}, closed with the transport. */
    public UdpTransport(InetSocketAddress bind, Supplier<List<TrafficInspector>> inspectors, Handler handler) throws IOException {
        this(DatagramChannel.open().bind(bind), true, inspectors, handler);
    }

    /**
     * Reads and sends on {@code borrowed}, a bound socket that outlives the transport (core's
     * {@code Listeners}): {@link #detach} stops reading and leaves it open, so what arrives
     * next waits in its buffer for the next transport.
     */
    public static UdpTransport on(DatagramChannel borrowed, Supplier<List<TrafficInspector>> inspectors, Handler handler)
            throws IOException {
        return new UdpTransport(borrowed, false, inspectors, handler);
    }

    private UdpTransport(DatagramChannel channel, boolean owned, Supplier<List<TrafficInspector>> inspectors, Handler handler)
            throws IOException {
        this.channel = channel;
        this.owned = owned;
        local = (InetSocketAddress) channel.getLocalAddress();
        channel.configureBlocking(false);
        selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
        reader = new Thread(() -> loop(inspectors, handler), "sip-udp-" + local.getPort());
        reader.setDaemon(true);
        reader.start();
    }

    public int port() throws IOException {
        return local.getPort();
    }

    /**
     * Sends a datagram from this transport's port (requests and responses the proxy forwards);
     * a full socket buffer is waited for a little (the socket never blocks the reader).
     */
    public void send(byte[] data, InetSocketAddress to) {
        send(ByteBuffer.wrap(data), to);
    }

    private void send(ByteBuffer data, InetSocketAddress to) {
        try {
            for (int attempt = 0; attempt < 50 && channel.send(data, to) == 0; attempt++) {
                java.util.concurrent.locks.LockSupport.parkNanos(100_000); // at most 5 ms, then the datagram is lost like any other
            }
        } catch (IOException e) {
            // UDP is lossy anyway: the sender's retransmission covers a failed send
        }
    }

    private void loop(Supplier<List<TrafficInspector>> inspectors, Handler handler) {
        ByteBuffer buf = ByteBuffer.allocate(65_535);
        while (running) {
            try {
                selector.select(1000);
                selector.selectedKeys().clear();
                while (running) {
                    buf.clear();
                    InetSocketAddress source = (InetSocketAddress) channel.receive(buf);
                    if (source == null) {
                        break;
                    }
                    buf.flip();
                    handle(buf, source, inspectors, handler);
                }
            } catch (IOException | java.nio.channels.ClosedSelectorException e) {
                if (!running) {
                    return;
                }
            }
        }
    }

    private void handle(ByteBuffer buf, InetSocketAddress source, Supplier<List<TrafficInspector>> inspectors, Handler handler) {
        for (TrafficInspector i : inspectors.get()) {
            try {
                if (i.inspect(source, local, Transport.UDP, buf.asReadOnlyBuffer()) == Verdict.DROP) {
                    return;
                }
            } catch (RuntimeException e) {
                // a faulty inspector must not stop signalling
            }
        }
        byte[] data = new byte[buf.remaining()];
        buf.get(data);
        byte[] reply = handler.handle(data, data.length, source);
        if (reply != null) {
            send(ByteBuffer.wrap(reply), source);
        }
    }

    /**
     * Stops reading (the message being handled is finished first) and leaves the socket open:
     * datagrams that arrive from now on wait for the next reader.
     */
    public void detach() {
        running = false;
        selector.wakeup();
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // its key is cancelled either way
        }
    }

    /** Stops reading; closes the socket when the transport bound it itself. */
    @Override
    public void close() throws IOException {
        detach();
        if (owned) {
            channel.close();
        }
    }
}
