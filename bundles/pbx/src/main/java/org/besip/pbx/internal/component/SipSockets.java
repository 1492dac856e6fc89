package org.besip.pbx.internal.component;

import org.besip.pbx.internal.transport.Sender;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.handover.Listeners;
import org.besip.core.api.traffic.TrafficInspector;
import org.besip.pbx.internal.proxy.Proxy;
import org.besip.pbx.internal.transport.TcpTransport;
import org.besip.pbx.internal.transport.UdpAndTcpSender;
import org.besip.pbx.internal.transport.UdpTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PBX's SIP listen addresses: their sockets borrowed from core ({@link Listeners}, so they
 * outlive the module), a UDP and a TCP transport on each, and what the proxy sends through. A
 * configuration's addresses are bound in prepare ({@link #bind}: one that cannot be bound
 * refuses it) and listened on in apply ({@link #listen}: what is kept keeps its transports);
 * {@link #detach} leaves the sockets and the TCP connections to the next version.
 */
final class SipSockets {

    private static final Logger LOG = LoggerFactory.getLogger(SipSockets.class);

    /** The sockets a prepared configuration bound (or found bound). */
    record Bound(InetSocketAddress address, DatagramChannel udp, ServerSocketChannel tcp) {
    }

    /** A listen address's transports. */
    private record Listening(UdpTransport udp, TcpTransport tcp) {
    }

    private final Listeners listeners;
    private final Supplier<List<TrafficInspector>> inspectors;
    private final UdpTransport.Handler handler;
    private final Map<InetSocketAddress, Listening> listening = new LinkedHashMap<>();
    private long firstMessageMs = -1;
    /** The first listen address's UDP transport: what the proxy sends from. */
    private final AtomicReference<UdpTransport> out = new AtomicReference<>();
    private final List<TcpTransport> streams = new CopyOnWriteArrayList<>();
    private final Sender sender = new UdpAndTcpSender(out::get, streams);

    /** @param handler what each message goes to (it reads the module's current server) */
    SipSockets(Listeners listeners, Supplier<List<TrafficInspector>> inspectors, UdpTransport.Handler handler) {
        this.listeners = listeners;
        this.inspectors = inspectors;
        this.handler = handler;
    }

    /** The name a listen address's sockets are lent under by core. */
    static String name(InetSocketAddress a) {
        return "sip " + a.getAddress().getHostAddress() + " " + a.getPort();
    }

    /** UDP from the first listen address, back over TCP to a peer whose connection a transport holds. */
    Sender sender() {
        return sender;
    }

    /** The connection from {@code remote} authenticated: it is kept like a phone's. */
    void trust(InetSocketAddress remote) {
        streams.forEach(t -> t.trust(remote));
    }

    /**
     * Borrows from core the sockets of each listen address (bound now, or already bound for the
     * running configuration); an address that cannot be bound refuses the configuration, and what
     * this call bound is given back.
     */
    synchronized List<Bound> bind(List<InetSocketAddress> listen) throws ConfigRejectedException {
        List<Bound> bound = new ArrayList<>();
        for (InetSocketAddress a : listen) {
            String name = name(a);
            try {
                bound.add(new Bound(a, listeners.udp(name, a), listeners.tcp(name, a)));
            } catch (IOException | RuntimeException e) {
                release(bound);
                if (!listening.containsKey(a)) {
                    listeners.release(name);
                }
                throw new ConfigRejectedException("/pbx:pbx/pbx:listen[pbx:address='" + a.getAddress().getHostAddress() + "'][pbx:port='"
                        + a.getPort() + "']", "SIP cannot listen on " + a.getAddress().getHostAddress() + ":" + a.getPort() + ": "
                        + (e.getMessage() == null ? e.toString() : e.getMessage()));
            }
        }
        return bound;
    }

    /** Gives back the sockets of a configuration that is not applied, but those the running one uses. */
    synchronized void release(List<Bound> bound) {
        for (Bound b : bound) {
            if (!listening.containsKey(b.address())) {
                listeners.release(name(b.address()));
            }
        }
    }

    /**
     * Design §4: only what a change touches is rebuilt. A listen address kept keeps its transports;
     * a new one gets transports on the sockets {@link #bind} borrowed, with the TCP connections a
     * previous version parked; one dropped is given back to core; a new first-message time moves
     * the TCP connections to a new transport.
     */
    synchronized void listen(List<InetSocketAddress> addresses, long firstMessage, List<Bound> bound) {
        for (InetSocketAddress a : List.copyOf(listening.keySet())) {
            if (!addresses.contains(a)) {
                Listening l = listening.remove(a);
                l.udp().detach();
                l.tcp().detach();
                streams.remove(l.tcp());
                listeners.release(name(a));
                LOG.info("SIP no longer on {}", a);
            }
        }
        for (Bound b : bound) {
            Listening l = listening.get(b.address());
            try {
                if (l == null) {
                    UdpTransport u = UdpTransport.on(b.udp(), inspectors, handler);
                    TcpTransport t = TcpTransport.on(b.tcp(), listeners.unpark(name(b.address())), inspectors, handler, firstMessage);
                    listening.put(b.address(), new Listening(u, t));
                    streams.add(t);
                    LOG.info("SIP over UDP on {}", b.address());
                    LOG.info("SIP over TCP on {}{}", b.address(), t.open() > 0 ? " with " + t.open() + " connections kept" : "");
                } else if (firstMessage != firstMessageMs) {
                    TcpTransport t = TcpTransport.on(b.tcp(), l.tcp().detach(), inspectors, handler, firstMessage);
                    streams.add(t);
                    streams.remove(l.tcp());
                    listening.put(b.address(), new Listening(l.udp(), t));
                }
            } catch (IOException e) {
                LOG.error("SIP cannot read on {}: {}", b.address(), e.getMessage()); // a selector could not open: no descriptor left
            }
        }
        firstMessageMs = firstMessage;
        Listening first = listening.get(addresses.get(0));
        out.set(first == null ? null : first.udp());
    }

    /** The module stops: the transports stop reading, the sockets stay with core, the TCP connections are parked there. */
    synchronized void detach() {
        for (Map.Entry<InetSocketAddress, Listening> e : listening.entrySet()) {
            e.getValue().udp().detach();
            listeners.park(name(e.getKey()), e.getValue().tcp().detach());
        }
        listening.clear();
        streams.clear();
        out.set(null);
    }
}
