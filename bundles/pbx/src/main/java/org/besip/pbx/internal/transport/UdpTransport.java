package org.besip.pbx.internal.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
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
    private final InetSocketAddress local;
    private final Thread reader;
    private volatile boolean running = true;

    public UdpTransport(InetSocketAddress bind, Supplier<List<TrafficInspector>> inspectors, Handler handler) throws IOException {
        channel = DatagramChannel.open();
        channel.bind(bind);
        local = (InetSocketAddress) channel.getLocalAddress();
        reader = new Thread(() -> loop(inspectors, handler), "sip-udp-" + bind.getPort());
        reader.setDaemon(true);
        reader.start();
    }

    public int port() throws IOException {
        return ((InetSocketAddress) channel.getLocalAddress()).getPort();
    }

    /** Sends a datagram from this transport's port (requests and responses the proxy forwards). */
    public void send(byte[] data, InetSocketAddress to) {
        try {
            channel.send(ByteBuffer.wrap(data), to);
        } catch (IOException e) {
            // UDP is lossy anyway: the sender's retransmission covers a failed send
        }
    }

    private void loop(Supplier<List<TrafficInspector>> inspectors, Handler handler) {
        ByteBuffer buf = ByteBuffer.allocate(65_535);
        while (running) {
            try {
                buf.clear();
                InetSocketAddress source = (InetSocketAddress) channel.receive(buf);
                buf.flip();
                boolean drop = false;
                for (TrafficInspector i : inspectors.get()) {
                    try {
                        if (i.inspect(source, local, Transport.UDP, buf.asReadOnlyBuffer()) == Verdict.DROP) {
                            drop = true;
                            break;
                        }
                    } catch (RuntimeException e) {
                        // a faulty inspector must not stop signalling
                    }
                }
                if (drop) {
                    continue;
                }
                byte[] data = new byte[buf.remaining()];
                buf.get(data);
                byte[] reply = handler.handle(data, data.length, source);
                if (reply != null) {
                    channel.send(ByteBuffer.wrap(reply), source);
                }
            } catch (IOException e) {
                if (!running) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        running = false;
        channel.close();
    }
}
