package org.besip.pbx.internal.transport;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Supplier;


/**
 * What the proxy sends through: UDP from the box's first listen address, and back over TCP to a
 * peer whose connection one of the box's TCP transports holds (falling back to UDP when none does).
 */
public final class UdpAndTcpSender implements Sender {

    private final Supplier<UdpTransport> udp;
    private final List<TcpTransport> streams;

    /** @param streams the TCP transports; read at each send, so it may be filled after this is made */
    public UdpAndTcpSender(Supplier<UdpTransport> udp, List<TcpTransport> streams) {
        this.udp = udp;
        this.streams = streams;
    }

    @Override
    public void send(byte[] data, InetSocketAddress to) {
        UdpTransport t = udp.get();
        if (t != null) {
            t.send(data, to);
        }
    }

    @Override
    public void sendBack(byte[] data, InetSocketAddress to, boolean stream) {
        if (stream) {
            for (TcpTransport t : streams) {
                if (t.send(data, to)) {
                    return;
                }
            }
        }
        send(data, to);
    }
}
