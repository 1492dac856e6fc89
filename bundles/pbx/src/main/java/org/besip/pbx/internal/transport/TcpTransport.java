package org.besip.pbx.internal.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

import org.besip.core.api.handover.Listeners;
import org.besip.core.api.traffic.TrafficInspector;
import org.besip.core.api.traffic.Transport;
import org.besip.core.api.traffic.Verdict;

/**
 * SIP over TCP (RFC 3261 §18.3): one NIO selector thread; messages are framed by the blank line
 * and Content-Length; answers go back on the same connection. Bounded against hostile peers: at
 * most {@link #MAX_CONNECTIONS} connections and {@link #MAX_PER_SOURCE} from one address,
 * {@link #MAX_MESSAGE} bytes per message; a connection that has not brought a SIP message within
 * the first-message time (10 s) is closed, and so is one idle for {@link #IDLE_MS}, where CRLF
 * keep-alives count as activity only once the connection has authenticated ({@link #trust}); when
 * the table is full the oldest connection that never authenticated makes room for the newcomer,
 * so nobody can lock the PBX for TCP phones by opening connections. A message the inspectors DROP
 * is discarded silently.
 */
public final class TcpTransport implements AutoCloseable {

    static final int MAX_CONNECTIONS = 1024;
    static final int MAX_PER_SOURCE = 32;
    static final long FIRST_MESSAGE_MS = 10_000;
    static final int MAX_MESSAGE = 65_535;
    static final long IDLE_MS = 10 * 60_000;
    static final int INITIAL_BUFFER = 4096;

    private final Selector selector;
    private final ServerSocketChannel server;
    private final boolean owned;
    /** Adopted connections with bytes already read: their messages are framed before the first select. */
    private final java.util.Queue<InetSocketAddress> readable = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final Thread loop;
    private volatile boolean running = true;
    /** Open connections by remote address, for what the proxy sends back over a caller's connection. */
    private final java.util.Map<InetSocketAddress, SelectionKey> connections = new java.util.concurrent.ConcurrentHashMap<>();
    /** Bytes other threads asked to send, handed to the selector thread (which alone touches connections' state). */
    private final java.util.Queue<Object[]> pending = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private static final int MAX_PENDING = 4096;
    private final java.util.concurrent.atomic.AtomicInteger pendingCount = new java.util.concurrent.atomic.AtomicInteger();
    private final long firstMessageMs;
    /** The connections in the order they were opened (selector thread only): the oldest untrusted one is evicted first. */
    private final java.util.LinkedHashSet<SelectionKey> byAge = new java.util.LinkedHashSet<>();
    private final java.util.Map<java.net.InetAddress, Integer> perSource = new java.util.HashMap<>();
    /** Remote addresses whose connection authenticated, handed from the SIP threads to the selector thread. */
    private final java.util.Queue<InetSocketAddress> trusted = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** Per connection: bytes read and not yet a whole message, replies waiting to be written. */
    private static final class Conn {
        ByteBuffer in = ByteBuffer.allocate(INITIAL_BUFFER); // grows to MAX_MESSAGE + 4 only for large messages
        final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
        final long openedAt = System.currentTimeMillis();
        long lastActive = openedAt;
        InetSocketAddress remote;
        /** A SIP message came on it. */
        boolean sip;
        /** Something on it authenticated (a REGISTER with good credentials). */
        boolean trusted;
    }

    public TcpTransport(InetSocketAddress bind, Supplier<List<TrafficInspector>> inspectors, UdpTransport.Handler handler)
            throws IOException {
        this(bind, inspectors, handler, FIRST_MESSAGE_MS);
    }

    /** @param firstMessageMs how long a new connection may take to bring its first SIP message */
    public TcpTransport(InetSocketAddress bind, Supplier<List<TrafficInspector>> inspectors, UdpTransport.Handler handler,
            long firstMessageMs) throws IOException {
        this(ServerSocketChannel.open().bind(bind, 128), true, List.of(), inspectors, handler, firstMessageMs);
    }

    /**
     * Accepts on {@code borrowed}, a listening socket that outlives the transport (core's
     * {@code Listeners}), and carries on the connections a previous transport left
     * ({@link #detach}), with what it had read of them.
     */
    public static TcpTransport on(ServerSocketChannel borrowed, List<Listeners.Parked> adopted, Supplier<List<TrafficInspector>> inspectors,
            UdpTransport.Handler handler, long firstMessageMs) throws IOException {
        return new TcpTransport(borrowed, false, adopted, inspectors, handler, firstMessageMs);
    }

    private TcpTransport(ServerSocketChannel server, boolean owned, List<Listeners.Parked> adopted, Supplier<List<TrafficInspector>> inspectors,
            UdpTransport.Handler handler, long firstMessageMs) throws IOException {
        this.firstMessageMs = firstMessageMs;
        this.server = server;
        this.owned = owned;
        selector = Selector.open();
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        for (Listeners.Parked p : adopted) {
            try {
                Conn c = adopt(p.channel());
                c.sip = true;
                c.trusted = p.trusted();
                byte[] unread = p.unread();
                if (unread.length > 0) {
                    c.in = ByteBuffer.allocate(Math.max(INITIAL_BUFFER, Math.min(unread.length * 2, MAX_MESSAGE + 4)));
                    c.in.put(unread, 0, Math.min(unread.length, c.in.capacity()));
                    readable.add(c.remote); // a whole message may be waiting in what was read already
                }
            } catch (IOException e) {
                try {
                    p.channel().close();
                } catch (IOException ignored) {
                    // gone
                }
            }
        }
        loop = new Thread(() -> run(inspectors, handler), "sip-tcp-" + ((InetSocketAddress) server.getLocalAddress()).getPort());
        loop.setDaemon(true);
        loop.start();
    }

    public int port() throws IOException {
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    /** The connection from {@code remote} authenticated: from now on it is kept like a phone's (any thread). */
    public void trust(InetSocketAddress remote) {
        if (connections.containsKey(remote)) {
            trusted.add(remote);
            selector.wakeup();
        }
    }

    /** How many connections are open. */
    public int open() {
        return connections.size();
    }

    /** Whether a connection from {@code remote} is open here. */
    public boolean connected(InetSocketAddress remote) {
        return connections.containsKey(remote);
    }

    /**
     * Sends a message over the open connection from {@code remote} (a response to a caller who
     * came over TCP); false when there is none or too much is waiting. Never blocks.
     */
    public boolean send(byte[] data, InetSocketAddress remote) {
        if (!connections.containsKey(remote) || pendingCount.incrementAndGet() > MAX_PENDING) {
            if (connections.containsKey(remote)) {
                pendingCount.decrementAndGet();
            }
            return false;
        }
        pending.add(new Object[] {remote, data});
        selector.wakeup();
        return true;
    }

    private void drainPending() {
        for (InetSocketAddress r = trusted.poll(); r != null; r = trusted.poll()) {
            SelectionKey k = connections.get(r);
            if (k != null && k.attachment() instanceof Conn c) {
                c.trusted = true;
            }
        }
        for (Object[] p = pending.poll(); p != null; p = pending.poll()) {
            pendingCount.decrementAndGet();
            SelectionKey k = connections.get((InetSocketAddress) p[0]);
            if (k != null && k.isValid() && k.attachment() instanceof Conn c) {
                c.out.add(ByteBuffer.wrap((byte[]) p[1]));
                k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            }
        }
    }

    private void run(Supplier<List<TrafficInspector>> inspectors, UdpTransport.Handler handler) {
        long lastSweep = System.currentTimeMillis();
        while (running) {
            try {
                selector.select(1000);
                drainPending();
                for (InetSocketAddress r = readable.poll(); r != null; r = readable.poll()) {
                    SelectionKey k = connections.get(r);
                    if (k != null && k.isValid()) {
                        try {
                            frame(k, inspectors, handler);
                        } catch (IOException e) {
                            close(k);
                        }
                    }
                }
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    try {
                        if (!k.isValid()) {
                            continue;
                        }
                        if (k.isAcceptable()) {
                            accept();
                        } else {
                            if (k.isReadable()) {
                                read(k, inspectors, handler);
                            }
                            if (k.isValid() && k.isWritable()) {
                                write(k);
                            }
                        }
                    } catch (IOException e) {
                        close(k);
                    }
                }
                long now = System.currentTimeMillis();
                if (now - lastSweep > Math.min(1000, firstMessageMs / 2)) {
                    lastSweep = now;
                    for (SelectionKey k : List.copyOf(byAge)) {
                        if (k.attachment() instanceof Conn c && (now - c.lastActive > IDLE_MS || !c.sip && now - c.openedAt > firstMessageMs)) {
                            close(k);
                        }
                    }
                }
            } catch (IOException e) {
                if (!running) {
                    return;
                }
            }
        }
    }

    private void accept() throws IOException {
        SocketChannel ch = server.accept();
        if (ch == null) {
            return;
        }
        InetSocketAddress remote = (InetSocketAddress) ch.getRemoteAddress();
        if (perSource.getOrDefault(remote.getAddress(), 0) >= MAX_PER_SOURCE) {
            ch.close();
            return;
        }
        if (byAge.size() >= MAX_CONNECTIONS && !evictUntrusted()) {
            ch.close(); // full of connections that authenticated: the newcomer waits
            return;
        }
        adopt(ch);
    }

    private Conn adopt(SocketChannel ch) throws IOException {
        InetSocketAddress remote = (InetSocketAddress) ch.getRemoteAddress();
        ch.configureBlocking(false);
        Conn c = new Conn();
        c.remote = remote;
        SelectionKey k = ch.register(selector, SelectionKey.OP_READ, c);
        connections.put(c.remote, k);
        byAge.add(k);
        perSource.merge(remote.getAddress(), 1, Integer::sum);
        return c;
    }

    /** Closes the oldest connection that never brought a SIP message, else the oldest that never authenticated; false when none. */
    private boolean evictUntrusted() {
        SelectionKey victim = null;
        for (SelectionKey k : byAge) {
            if (k.attachment() instanceof Conn c && !c.trusted) {
                if (!c.sip) {
                    victim = k;
                    break;
                }
                if (victim == null) {
                    victim = k;
                }
            }
        }
        if (victim == null) {
            return false;
        }
        close(victim);
        return true;
    }

    private void read(SelectionKey k, Supplier<List<TrafficInspector>> inspectors, UdpTransport.Handler handler) throws IOException {
        SocketChannel ch = (SocketChannel) k.channel();
        Conn c = (Conn) k.attachment();
        int n = ch.read(c.in);
        if (n < 0) {
            close(k);
            return;
        }
        if (c.trusted) {
            c.lastActive = System.currentTimeMillis(); // keep-alive CRLFs count only on a connection that authenticated
        }
        frame(k, inspectors, handler);
    }

    /** Hands each whole message read so far on {@code k} to the handler. */
    private void frame(SelectionKey k, Supplier<List<TrafficInspector>> inspectors, UdpTransport.Handler handler) throws IOException {
        SocketChannel ch = (SocketChannel) k.channel();
        Conn c = (Conn) k.attachment();
        InetSocketAddress source = c.remote;
        while (true) {
            int len = messageLength(c.in);
            if (len == 0) {
                if (!c.in.hasRemaining()) {
                    if (c.in.capacity() >= MAX_MESSAGE + 4) {
                        close(k); // no whole message within the limit
                        return;
                    }
                    ByteBuffer bigger = ByteBuffer.allocate(Math.min(c.in.capacity() * 4, MAX_MESSAGE + 4));
                    c.in.flip();
                    bigger.put(c.in);
                    c.in = bigger;
                    return; // level-triggered: the rest is read on the next select
                }
                return;
            }
            if (len < 0) {
                close(k); // unframeable: no recovery on a stream
                return;
            }
            byte[] msg = new byte[len];
            c.in.flip();
            c.in.get(msg);
            c.in.compact();
            if (!c.sip && looksLikeSip(msg)) {
                c.sip = true;
            }
            c.lastActive = System.currentTimeMillis();
            if (!dropped(inspectors, source, (InetSocketAddress) ch.getLocalAddress(), msg)) {
                byte[] reply = handler.handle(msg, msg.length, source);
                if (reply != null) {
                    c.out.add(ByteBuffer.wrap(reply));
                    k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                }
            }
        }
    }

    /** A request or status line: what a SIP peer sends first. */
    static boolean looksLikeSip(byte[] msg) {
        int eol = 0;
        while (eol < msg.length && msg[eol] != '\r') {
            eol++;
        }
        String line = new String(msg, 0, eol, StandardCharsets.ISO_8859_1);
        return line.matches("[A-Z]{2,16} \\S+ SIP/2\\.0") || line.matches("SIP/2\\.0 [1-6]\\d\\d .*");
    }

    private static boolean dropped(Supplier<List<TrafficInspector>> inspectors, InetSocketAddress source, InetSocketAddress local,
            byte[] msg) {
        for (TrafficInspector i : inspectors.get()) {
            try {
                if (i.inspect(source, local, Transport.TCP, ByteBuffer.wrap(msg).asReadOnlyBuffer()) == Verdict.DROP) {
                    return true;
                }
            } catch (RuntimeException e) {
                // a faulty inspector must not stop signalling
            }
        }
        return false;
    }

    /**
     * The length of the first whole message in {@code buf} (write mode), 0 when more bytes are
     * needed, -1 when the bytes cannot be a SIP message. Leading CRLF keep-alives are skipped.
     */
    static int messageLength(ByteBuffer buf) {
        int end = buf.position();
        int start = 0;
        while (start + 1 < end && buf.get(start) == '\r' && buf.get(start + 1) == '\n') {
            start += 2;
        }
        if (start > 0) {
            buf.flip();
            buf.position(start);
            buf.compact();
            end = buf.position();
        }
        for (int i = 0; i + 3 < end; i++) {
            if (buf.get(i) == '\r' && buf.get(i + 1) == '\n' && buf.get(i + 2) == '\r' && buf.get(i + 3) == '\n') {
                byte[] head = new byte[i];
                for (int j = 0; j < i; j++) {
                    head[j] = buf.get(j);
                }
                int body = contentLength(new String(head, StandardCharsets.ISO_8859_1));
                if (body < 0) {
                    return -1; // RFC 3261 §18.3: Content-Length is mandatory on streams
                }
                int total = i + 4 + body;
                if (total > MAX_MESSAGE) {
                    return -1;
                }
                return total <= end ? total : 0;
            }
        }
        return 0;
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                if (name.equals("content-length") || name.equals("l")) {
                    try {
                        int v = Integer.parseInt(line.substring(colon + 1).trim());
                        return v >= 0 ? v : -1;
                    } catch (NumberFormatException e) {
                        return -1;
                    }
                }
            }
        }
        return -1;
    }

    private void write(SelectionKey k) throws IOException {
        SocketChannel ch = (SocketChannel) k.channel();
        Conn c = (Conn) k.attachment();
        while (!c.out.isEmpty()) {
            ByteBuffer b = c.out.peek();
            ch.write(b);
            if (b.hasRemaining()) {
                return;
            }
            c.out.poll();
        }
        k.interestOps(SelectionKey.OP_READ);
    }

    private void close(SelectionKey k) {
        if (k.attachment() instanceof Conn c && c.remote != null) {
            connections.remove(c.remote, k);
            if (byAge.remove(k)) {
                perSource.computeIfPresent(c.remote.getAddress(), (a, n) -> n > 1 ? n - 1 : null);
            }
        }
        k.cancel();
        try {
            k.channel().close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /**
     * Stops (the message being handled is finished first) and leaves the listening socket and
     * the open connections as they are, for the next transport: each with what was read of it
     * and not handled yet. What was queued to send is written first as far as the socket takes it.
     */
    public List<Listeners.Parked> detach() {
        stop();
        List<Listeners.Parked> out = new ArrayList<>();
        for (SelectionKey k : selector.keys()) {
            if (k.attachment() instanceof Conn c && k.channel() instanceof SocketChannel ch && ch.isOpen()) {
                try {
                    for (ByteBuffer b : c.out) {
                        ch.write(b);
                    }
                } catch (IOException e) {
                    // what did not go is lost, as on a broken connection
                }
                c.in.flip();
                byte[] unread = new byte[c.in.remaining()];
                c.in.get(unread);
                out.add(new Listeners.Parked(ch, unread, c.trusted));
            }
            k.cancel();
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // its keys are cancelled either way
        }
        return out;
    }

    private void stop() {
        running = false;
        selector.wakeup();
        try {
            loop.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops and closes every connection; the listening socket too when the transport bound it itself. */
    @Override
    public void close() throws IOException {
        stop();
        for (SelectionKey k : selector.keys()) {
            if (k.channel() != server) {
                close(k);
            } else {
                k.cancel();
            }
        }
        selector.close();
        if (owned) {
            server.close();
        }
    }
}
