package org.besip.core.internal.handover;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.Channel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.besip.core.api.handover.Handover;
import org.besip.core.api.handover.Listeners;

/**
 * What core holds for the bundles: per bundle (by symbolic name, which an update keeps), the
 * sockets lent under each name, the connections parked under it and the state left for the next
 * start. Pure: no OSGi here; {@link Store} holds one for the box, {@link ListenersImpl} and {@link HandoverImpl} lend it per bundle.
 */
public final class Held {

    /** At most this many names per bundle: a module's listen addresses and media ports, not a table keyed by remote input. */
    public static final int MAX_NAMES = 8192;

    private static final class Entry {
        InetSocketAddress udpBind;
        DatagramChannel udp;
        InetSocketAddress tcpBind;
        ServerSocketChannel tcp;
        List<Listeners.Parked> parked = List.of();
    }

    private final Map<String, Map<String, Entry>> sockets = new HashMap<>();
    private final Map<String, Handover.State> states = new HashMap<>();
    /** State taken by a run that has not left its own yet: given back if that run ends without leaving any (it failed to start). */
    private final Map<String, Handover.State> taken = new HashMap<>();

    public synchronized DatagramChannel udp(String owner, String name, InetSocketAddress bind) throws IOException {
        Entry e = entry(owner, name);
        if (e.udp != null && e.udp.isOpen() && e.udpBind.equals(bind)) {
            return e.udp;
        }
        DatagramChannel c = DatagramChannel.open(bind.getAddress() instanceof java.net.Inet6Address
                ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET);
        try {
            c.setOption(StandardSocketOptions.SO_REUSEADDR, false);
            c.bind(bind);
        } catch (IOException | RuntimeException ex) {
            c.close();
            forgetIfEmpty(owner, name);
            throw ex instanceof IOException io ? io : new IOException(ex.getMessage(), ex);
        }
        close(e.udp);
        e.udp = c;
        e.udpBind = bind;
        return c;
    }

    public synchronized ServerSocketChannel tcp(String owner, String name, InetSocketAddress bind) throws IOException {
        Entry e = entry(owner, name);
        if (e.tcp != null && e.tcp.isOpen() && e.tcpBind.equals(bind)) {
            return e.tcp;
        }
        ServerSocketChannel c = ServerSocketChannel.open();
        try {
            c.setOption(StandardSocketOptions.SO_REUSEADDR, true); // TIME_WAIT of a closed listener's connections must not block it
            c.bind(bind, 128);
        } catch (IOException | RuntimeException ex) {
            c.close();
            forgetIfEmpty(owner, name);
            throw ex instanceof IOException io ? io : new IOException(ex.getMessage(), ex);
        }
        close(e.tcp);
        e.tcp = c;
        e.tcpBind = bind;
        return c;
    }

    public synchronized void park(String owner, String name, List<Listeners.Parked> connections) {
        Entry e = entry(owner, name);
        for (Listeners.Parked p : e.parked) {
            if (!connections.contains(p)) {
                close(p.channel());
            }
        }
        e.parked = List.copyOf(connections);
    }

    public synchronized List<Listeners.Parked> unpark(String owner, String name) {
        Map<String, Entry> mine = sockets.get(owner);
        Entry e = mine == null ? null : mine.get(name);
        if (e == null) {
            return List.of();
        }
        List<Listeners.Parked> out = e.parked;
        e.parked = List.of();
        return out;
    }

    public synchronized void release(String owner, String name) {
        Map<String, Entry> mine = sockets.get(owner);
        Entry e = mine == null ? null : mine.remove(name);
        if (e != null) {
            close(e);
        }
    }

    public synchronized List<String> names(String owner) {
        Map<String, Entry> mine = sockets.get(owner);
        return mine == null ? List.of() : List.copyOf(mine.keySet());
    }

    public synchronized void leave(String owner, int version, byte[] data) {
        states.put(owner, new Handover.State(version, data, System.currentTimeMillis()));
        taken.remove(owner);
    }

    public synchronized Optional<Handover.State> take(String owner) {
        Handover.State s = states.remove(owner);
        if (s != null) {
            taken.put(owner, s);
        }
        return Optional.ofNullable(s);
    }

    /**
     * The run that took the owner's state is over (its bundle let go of the service): when it left
     * nothing, as a version whose activation failed does, what it took is there again for the next
     * start (the old version rolled back to).
     */
    public synchronized void ended(String owner) {
        Handover.State s = taken.remove(owner);
        if (s != null) {
            states.putIfAbsent(owner, s);
        }
    }

    /** The bundle is gone for good (uninstalled): its sockets close, its state is dropped. */
    public synchronized void forget(String owner) {
        Map<String, Entry> mine = sockets.remove(owner);
        if (mine != null) {
            mine.values().forEach(Held::close);
        }
        states.remove(owner);
        taken.remove(owner);
    }

    /** Core stops (the box shuts down): everything closes. */
    public synchronized void closeAll() {
        for (String owner : new ArrayList<>(sockets.keySet())) {
            forget(owner);
        }
        states.clear();
    }

    private Entry entry(String owner, String name) {
        Map<String, Entry> mine = sockets.computeIfAbsent(owner, o -> new HashMap<>());
        Entry e = mine.get(name);
        if (e == null) {
            if (mine.size() >= MAX_NAMES) {
                throw new IllegalStateException(owner + " holds " + MAX_NAMES + " socket names already");
            }
            e = new Entry();
            mine.put(name, e);
        }
        return e;
    }

    private void forgetIfEmpty(String owner, String name) {
        Map<String, Entry> mine = sockets.get(owner);
        Entry e = mine == null ? null : mine.get(name);
        if (e != null && e.udp == null && e.tcp == null && e.parked.isEmpty()) {
            mine.remove(name);
        }
    }

    private static void close(Entry e) {
        close(e.udp);
        close(e.tcp);
        e.parked.forEach(p -> close(p.channel()));
    }

    private static void close(Channel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
