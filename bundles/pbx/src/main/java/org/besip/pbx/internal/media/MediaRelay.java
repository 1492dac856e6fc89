package org.besip.pbx.internal.media;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import org.besip.core.api.quality.RtpPacket;
import org.besip.core.api.quality.RtpStream;
import org.besip.core.api.quality.StreamKey;
import org.besip.core.api.quality.StreamStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The media relay (the job rtpengine does for Kamailio): per call, two legs, each a pair of UDP
 * ports (RTP even, RTCP the next) from a configured range; each phone is told to send to its leg,
 * and what arrives on one leg goes out of the other leg's socket to the other phone, so the other
 * phone's NAT sees its answers come from where it sends.
 * <p>
 * Symmetric latching: a leg forwards to the address its SDP gave until the first packet arrives on
 * it; from then on the packet's source is where that phone really is (a NAT'd phone's public
 * address), and packets from anywhere else are dropped and counted. A packet from the phone's SDP
 * address or signalling source takes the latch over from a source that was neither (RTP bleed: a
 * stranger who sprays the range gets at most the packets before the phone's first). A new SDP
 * address (a re-INVITE, a transfer) unlatches the leg, and the source it was latched to may not
 * latch it again for about a second unless it is where the new SDP points: the phone that left
 * sends a packet or two after its place was taken.
 * <p>
 * One or two threads ({@code pbx-media}, {@code pbx-media-1}: one a core, two at the most) do all
 * of it, each on a selector over the sessions it was given (in turn as they open): the SIP
 * threads only open, update and release sessions, which never blocks them. Bounded: the range gives at most
 * {@code (max - min + 1) / 4} sessions; a session with no packet on either leg for the timeout is
 * reported (the call is ended) and released. Every port goes back to the range when its session
 * is released.
 */
public final class MediaRelay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MediaRelay.class);
    /** How long a relay session may wait for its call to be answered (as the call tracker's ringing calls). */
    public static final long RING_TIMEOUT_MS = 5 * 60_000;

    /** Where the relay binds and what range its ports come from. */
    public record Settings(InetAddress bind, int minPort, int maxPort, long timeoutMs, int threads) {
        /** With one relay thread per core, two at the most. */
        public Settings(InetAddress bind, int minPort, int maxPort, long timeoutMs) {
            this(bind, minPort, maxPort, timeoutMs, Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())));
        }

        /** Sessions the range holds: four ports each. */
        public int capacity() {
            return (maxPort - minPort + 1) / 4;
        }
    }

    /**
     * Packets (about a second of audio) from the source a leg was latched to before its SDP changed
     * that are dropped, while no other source sends, before that source may latch again: a phone
     * behind a NAT that re-INVITEd with a new address is the same phone, and keeps its audio.
     */
    static final int LEFT_PATIENCE = 50;

    /** What one direction of a session carried, for the page and the CDR. */
    public record Counters(long packets, long bytes, long dropped) {
    }

    /** One side of a call: its two sockets and where its phone is. */
    public final class Leg {
        final DatagramChannel rtp;
        final DatagramChannel rtcp;
        final int port;
        volatile InetSocketAddress sdpRtp;
        volatile InetSocketAddress latchedRtp;
        volatile InetSocketAddress latchedRtcp;
        /** Whether the latched sources are where the phone was expected (its SDP address or signalling source). */
        volatile boolean expectedRtp;
        volatile boolean expectedRtcp;
        /**
         * The sources latched before the SDP last changed (a transfer, a re-INVITE): the phone that left
         * may send a packet or two after its place was taken, and must not latch the leg again before the
         * new phone does. Set by the SIP thread that changes the SDP, cleared by the relay thread.
         */
        volatile InetSocketAddress leftRtp;
        volatile InetSocketAddress leftRtcp;
        /** Packets from a left source dropped while nothing else came: at {@link #LEFT_PATIENCE} it is the same phone after all. */
        int leftPackets;
        volatile long packets;
        volatile long bytes;
        volatile long dropped;
        /** The RTP streams this leg's phone sent, by SSRC (at most four: a new one after a re-INVITE). */
        private final Map<Long, RtpStream> streams = new LinkedHashMap<>();
        private long lastSsrc = -1;
        private RtpStream lastStream;

        /** Adds a packet that came from this leg's phone to its stream's statistics (relay thread). */
        synchronized void measure(RtpPacket p, InetSocketAddress from, double arrivalS) {
            RtpStream st = p.ssrc() == lastSsrc ? lastStream : streams.get(p.ssrc()); // the same stream as the packet before, mostly
            if (st == null) {
                if (streams.size() >= 4) {
                    return;
                }
                st = new RtpStream(new StreamKey(p.ssrc(), from.getAddress().getHostAddress(), from.getPort(),
                        settings.bind().getHostAddress(), port), Map.of());
                streams.put(p.ssrc(), st);
            }
            lastSsrc = p.ssrc();
            lastStream = st;
            st.add(p, arrivalS);
        }

        /** The statistics of the stream this leg's phone sent most packets in (RFC 3550), or null before any. */
        public synchronized StreamStats stats() {
            StreamStats best = null;
            for (RtpStream st : streams.values()) {
                StreamStats x = st.stats();
                if (best == null || x.packets() > best.packets()) {
                    best = x;
                }
            }
            return best;
        }

        /** The phone's signalling source: its media may come from there (a NAT's public address) or from its SDP address. */
        volatile InetAddress signalling;
        /** Music this leg's phone hears instead of the other side's audio (it is on hold), or null. */
        volatile Playback playback;
        /**
         * The RTP stream this leg's phone receives is kept one stream (relay thread only): when
         * what it gets changes (music on hold starts or stops, a transfer brings another phone),
         * the new packets continue the SSRC, sequence numbers and timestamps it had, as rtpengine's
         * SSRC translation does, since phones discard a stream whose timestamps jump back.
         */
        boolean sent;
        long sentSsrc;
        int sentSeq;
        long sentTs;
        long sentNanos;
        long sourceSsrc = -1;
        boolean translating;
        int seqDelta;
        long tsDelta;
        volatile boolean resync;
        /** Frames of music on hold this leg's phone was sent. */
        volatile long musicFrames;

        /** How many 20 ms frames of music on hold this leg's phone was sent. */
        public long musicFrames() {
            return musicFrames;
        }
        Leg other;
        final Session session;

        Leg(Session s, DatagramChannel rtp, DatagramChannel rtcp, int port) {
            this.session = s;
            this.rtp = rtp;
            this.rtcp = rtcp;
            this.port = port;
        }

        /** The port (RTP; RTCP is the next) this leg's phone is told to send to. */
        public int port() {
            return port;
        }

        /** Where this leg's phone said it receives (its SDP); a new address unlatches the leg. */
        public void remote(InetSocketAddress rtpAddress) {
            if (rtpAddress != null && !rtpAddress.equals(sdpRtp)) {
                sdpRtp = rtpAddress;
                leftRtp = latchedRtp;
                leftRtcp = latchedRtcp;
                leftPackets = 0;
                latchedRtp = null;
                latchedRtcp = null;
                expectedRtp = false;
                expectedRtcp = false;
            }
        }

        /** Where this leg's phone's signalling comes from; with its SDP address, the only sources its media is latched from. */
        public void signalling(InetAddress source) {
            signalling = source;
        }

        /** Whether {@code a} is where this leg's phone was expected to send from: its SDP address or its signalling source. */
        boolean mayLatch(InetAddress a) {
            InetSocketAddress sdp = sdpRtp;
            InetAddress sig = signalling;
            return (sdp == null && sig == null) || (sdp != null && sdp.getAddress().equals(a)) || a.equals(sig);
        }

        /** Where packets for this leg's phone go: the latched source, else its SDP address. */
        InetSocketAddress rtpTarget() {
            InetSocketAddress l = latchedRtp;
            return l != null ? l : sdpRtp;
        }

        InetSocketAddress rtcpTarget() {
            InetSocketAddress l = latchedRtcp;
            if (l != null) {
                return l;
            }
            InetSocketAddress s = rtpTarget();
            return s == null ? null : new InetSocketAddress(s.getAddress(), s.getPort() + 1);
        }

        /** The latched source of this leg's phone, or null before its first packet. */
        public InetSocketAddress latched() {
            return latchedRtp;
        }

        /** What this leg's phone sent over RTP (RTCP is relayed, not counted). */
        public Counters received() {
            return new Counters(packets, bytes, dropped);
        }
    }

    /** One call's relay: the caller's leg and the callee's. */
    public final class Session {
        final String id;
        final Leg caller;
        final Leg callee;
        volatile long lastPacketMs;
        volatile boolean answered;
        final long openedMs;
        /** What records the call (both directions mixed), or null; and its file's name under the recordings. */
        volatile Recorder recorder;
        volatile String recording;

        /** The name of this call's recording under the recordings folder, or null when it is not recorded. */
        public String recording() {
            return recording;
        }

        /** The relay thread that carries this call's packets. */
        final Worker worker;

        Session(String id, DatagramChannel[] ch, int callerPort, int calleePort, long now, Worker worker) {
            this.worker = worker;
            this.id = id;
            this.caller = new Leg(this, ch[0], ch[1], callerPort);
            this.callee = new Leg(this, ch[2], ch[3], calleePort);
            caller.other = callee;
            callee.other = caller;
            this.lastPacketMs = now;
            this.openedMs = now;
        }

        /**
         * The call was answered: from now on {@code timeout} without a packet ends it. Before, a
         * ringing call (no early media, so no RTP) is only ended after {@link MediaRelay#RING_TIMEOUT_MS}.
         */
        public void answered() {
            if (!answered) {
                lastPacketMs = System.currentTimeMillis();
                answered = true;
            }
        }

        public String id() {
            return id;
        }

        public Leg caller() {
            return caller;
        }

        public Leg callee() {
            return callee;
        }
    }

    /**
     * Where the relay's sockets come from. {@link #OWN}: bound here, closed on release. The box
     * lends them from core (Listeners), so that a session handed to the next version keeps its
     * sockets and the packets that arrive in between wait in them.
     */
    public interface Ports {
        DatagramChannel bind(InetSocketAddress at) throws IOException;

        void release(DatagramChannel c, InetSocketAddress at);

        Ports OWN = new Ports() {
            @Override
            public DatagramChannel bind(InetSocketAddress at) throws IOException {
                DatagramChannel c = DatagramChannel.open();
                try {
                    c.bind(at);
                    return c;
                } catch (IOException e) {
                    c.close();
                    throw e;
                }
            }

            @Override
            public void release(DatagramChannel c, InetSocketAddress at) {
                closeQuietly(c);
            }
        };
    }

    /** A leg as the next version takes it on: where its phone is and what it sent. */
    public record LegState(InetSocketAddress sdpRtp, InetSocketAddress latchedRtp, InetSocketAddress latchedRtcp, boolean expectedRtp,
            boolean expectedRtcp, InetAddress signalling, long packets, long bytes, long dropped, List<RtpStream> streams) {
        /** A leg without its streams' statistics (the next version measures them anew). */
        public LegState(InetSocketAddress sdpRtp, InetSocketAddress latchedRtp, InetSocketAddress latchedRtcp, boolean expectedRtp,
                boolean expectedRtcp, InetAddress signalling, long packets, long bytes, long dropped) {
            this(sdpRtp, latchedRtp, latchedRtcp, expectedRtp, expectedRtcp, signalling, packets, bytes, dropped, List.of());
        }
    }

    /** A session as the next version takes it on (its sockets stay with core; its statistics and recording end here). */
    public record SessionState(String id, int callerPort, int calleePort, boolean answered, long openedMs, String recording, LegState caller,
            LegState callee) {
    }

    private final Settings settings;
    private final Ports ports;
    private final Consumer<String> timedOut;
    private final Worker[] workers;
    private int nextWorker;
    private final Map<String, Session> sessions = new LinkedHashMap<>();
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private volatile boolean running = true;

    /**
     * One relay thread ({@code pbx-media-N}): a selector over the sockets of the sessions it was
     * given, what the SIP threads ask of it, the music it plays. The first also ends the sessions
     * that timed out.
     */
    final class Worker implements Runnable {
        final Selector selector;
        final Thread thread;
        final Queue<Runnable> pending = new ConcurrentLinkedQueue<>();
        /** Off the heap, so the kernel copies straight into it; the packet's bytes are read from {@code heap}. */
        final ByteBuffer buffer = ByteBuffer.allocateDirect(65_536);
        final byte[] heap = new byte[65_536];
        final java.util.Set<Leg> playing = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final boolean expires;

        Worker(int index) throws IOException {
            this.selector = Selector.open();
            this.expires = index == 0;
            this.thread = new Thread(this, workersName(index));
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            long lastCheck = System.currentTimeMillis();
            while (running) {
                try {
                    selector.select(playing.isEmpty() ? 500 : 5);
                    Runnable r;
                    while ((r = pending.poll()) != null) {
                        r.run();
                    }
                    Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                    int ready = 0;
                    while (it.hasNext()) {
                        SelectionKey k = it.next();
                        it.remove();
                        if (k.isValid() && k.isReadable()) {
                            drain(this, (DatagramChannel) k.channel(), (Attachment) k.attachment());
                            ready++;
                        }
                    }
                    if (ready > 0 && ready < BATCH) {
                        // busy but few sockets ready: let a few more packets come before the next select, so one select
                        // serves many (a packet waits at most this long; at 50 packets a second a stream's jitter is ~0)
                        LockSupport.parkNanos(BATCH_WAIT_NS);
                    }
                    if (!playing.isEmpty()) {
                        playDue(this, System.nanoTime());
                    }
                    long now = System.currentTimeMillis();
                    if (expires && now - lastCheck >= 1000) {
                        lastCheck = now;
                        expire(now);
                    }
                } catch (ClosedSelectorException e) {
                    return;
                } catch (IOException | RuntimeException e) {
                    LOG.warn("media relay: {}", e.toString());
                }
            }
        }
    }

    /** Below this many sockets ready at once, a relay thread waits {@link #BATCH_WAIT_NS} before it selects again. */
    static final int BATCH = 16;
    static final long BATCH_WAIT_NS = 250_000;

    private static String workersName(int index) {
        return index == 0 ? "pbx-media" : "pbx-media-" + index;
    }

    /** @param timedOut told (on the relay thread) of a session that carried nothing for the timeout; it is released after */
    public MediaRelay(Settings settings, Consumer<String> timedOut) throws IOException {
        this(settings, Ports.OWN, timedOut);
    }

    /** @param ports where the sockets come from and go back to */
    public MediaRelay(Settings settings, Ports ports, Consumer<String> timedOut) throws IOException {
        this.ports = ports;
        if (settings.minPort() < 1024 || settings.maxPort() > 65535 || settings.capacity() < 1) {
            throw new IllegalArgumentException("a media port range of at least 4 ports above 1023");
        }
        this.settings = settings;
        this.timedOut = timedOut;
        int first = settings.minPort() % 2 == 0 ? settings.minPort() : settings.minPort() + 1;
        for (int p = first; p + 1 <= settings.maxPort(); p += 2) {
            free.add(p);
        }
        this.workers = new Worker[Math.max(1, settings.threads())];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i);
        }
        for (Worker w : workers) {
            w.thread.start();
        }
    }

    public Settings settings() {
        return settings;
    }

    /** Sessions open now. */
    public synchronized int size() {
        return sessions.size();
    }

    /** Port pairs free now (each session holds two). */
    public synchronized int freePairs() {
        return free.size();
    }

    /** The sessions open now, oldest first. */
    public synchronized List<Session> sessions() {
        return List.copyOf(sessions.values());
    }

    /** The session of {@code id}, or null. */
    public synchronized Session get(String id) {
        return sessions.get(id);
    }

    /**
     * The session of {@code id}, opened with two port pairs when it is new; null when the range is
     * used up (no pair could be bound).
     */
    public Session open(String id) {
        Session s;
        synchronized (this) {
            s = sessions.get(id);
            if (s != null || !running) {
                return s;
            }
            DatagramChannel[] ch = new DatagramChannel[4];
            int[] ports = new int[2];
            int tries = free.size();
            int got = 0;
            while (got < 2 && tries-- > 0) {
                int p = free.poll();
                try {
                    ch[got * 2] = bind(p);
                    try {
                        ch[got * 2 + 1] = bind(p + 1);
                    } catch (IOException e) {
                        unbind(ch[got * 2], p);
                        throw e;
                    }
                    ports[got++] = p;
                } catch (IOException e) {
                    free.add(p); // taken by someone else now: try it again later
                }
            }
            if (got < 2) {
                for (int i = 0; i < got; i++) {
                    unbind(ch[i * 2], ports[i]);
                    unbind(ch[i * 2 + 1], ports[i] + 1);
                    free.addFirst(ports[i]);
                }
                LOG.warn("media relay: no port pair free for {} ({} sessions)", id, sessions.size());
                return null;
            }
            s = new Session(id, ch, ports[0], ports[1], System.currentTimeMillis(), workers[nextWorker++ % workers.length]);
            sessions.put(id, s);
        }
        relay(s);
        return s;
    }

    /** Hands {@code s}'s four sockets to its relay thread, which registers them with its selector. */
    private static void relay(Session s) {
        Worker w = s.worker;
        w.pending.add(() -> {
            register(w, s.caller.rtp, new Attachment(s.caller, true));
            register(w, s.caller.rtcp, new Attachment(s.caller, false));
            register(w, s.callee.rtp, new Attachment(s.callee, true));
            register(w, s.callee.rtcp, new Attachment(s.callee, false));
        });
        w.selector.wakeup();
    }

    private static void register(Worker w, DatagramChannel c, Attachment a) {
        try {
            if (c.isOpen()) {
                c.register(w.selector, SelectionKey.OP_READ, a);
            }
        } catch (java.nio.channels.ClosedChannelException e) {
            // released before the relay thread got to it
        }
    }

    private DatagramChannel bind(int port) throws IOException {
        InetSocketAddress at = new InetSocketAddress(settings.bind(), port);
        DatagramChannel c = ports.bind(at);
        try {
            c.setOption(StandardSocketOptions.SO_RCVBUF, 256 * 1024);
            c.configureBlocking(false);
            return c;
        } catch (IOException e) {
            ports.release(c, at);
            throw e;
        }
    }

    private void unbind(DatagramChannel c, int port) {
        ports.release(c, new InetSocketAddress(settings.bind(), port));
    }

    /** Records {@code s} from now on with {@code r} (its file {@code name}); the recording ends with the session. */
    public void record(Session s, Recorder r, String name) {
        s.recording = name;
        s.recorder = r;
    }

    /** Where an RTP packet's payload starts: after the fixed header, the CSRCs and an extension. */
    static int payloadOffset(byte[] b, int n) {
        int header = 12 + 4 * (b[0] & 0x0F);
        if ((b[0] & 0x10) != 0 && header + 4 <= n) {
            header += 4 + 4 * (((b[header + 2] & 0xFF) << 8) | (b[header + 3] & 0xFF));
        }
        return header;
    }

    /** Ends {@code id}'s relay: its sockets are closed and its ports go back to the range. */
    public void release(String id) {
        Session s;
        synchronized (this) {
            s = sessions.remove(id);
            if (s == null) {
                return;
            }
        }
        for (Leg l : List.of(s.caller, s.callee)) {
            unbind(l.rtp, l.port);
            unbind(l.rtcp, l.port + 1);
        }
        Recorder rec = s.recorder;
        if (rec != null) {
            rec.close();
        }
        LOG.info("media relay: {} ended: {} RTP packets from the caller ({} dropped), {} from the callee ({} dropped)", id, s.caller.packets,
                s.caller.dropped, s.callee.packets, s.callee.dropped);
        synchronized (this) {
            free.add(s.caller.port);
            free.add(s.callee.port);
        }
        s.worker.selector.wakeup();
    }

    /** Whether {@code latched} is the SDP's address and port (RTCP: the port after). */
    private static boolean exactly(InetSocketAddress latched, InetSocketAddress sdp, boolean rtp) {
        return sdp != null && latched.getAddress().equals(sdp.getAddress()) && latched.getPort() == sdp.getPort() + (rtp ? 0 : 1);
    }

    private record Attachment(Leg leg, boolean rtp) {
    }

    /** Music played to a held phone: 20 ms frames of G.711 in its payload type, with an RTP stream of the relay's own. */
    static final class Playback {
        final byte[] audio;
        final int payloadType;
        int ssrc;
        int seq;
        long timestamp;
        int position;
        long dueNanos;
        boolean first = true;

        Playback(byte[] audio, int payloadType, long now) {
            java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
            this.audio = audio;
            this.payloadType = payloadType;
            this.ssrc = r.nextInt();
            this.seq = r.nextInt(65536);
            this.timestamp = r.nextInt() & 0xFFFFFFFFL;
            this.dueNanos = now;
        }

        /** The music continues the stream {@code leg}'s phone had (relay thread): its SSRC, the next sequence number and timestamp. */
        void continueFrom(Leg leg, long now) {
            started = true;
            if (leg.sent) {
                long gap = Math.max(1, (now - leg.sentNanos) / 20_000_000L);
                ssrc = (int) leg.sentSsrc;
                seq = (leg.sentSeq + (int) gap) & 0xFFFF;
                timestamp = (leg.sentTs + FRAME * gap) & 0xFFFFFFFFL;
            }
        }

        boolean started;

        /** The next packet: 12 bytes of RTP header and 160 samples, looping over the music. */
        byte[] next() {
            byte[] p = new byte[12 + FRAME];
            p[0] = (byte) 0x80;
            p[1] = (byte) ((first ? 0x80 : 0) | payloadType);
            first = false;
            p[2] = (byte) (seq >> 8);
            p[3] = (byte) seq;
            for (int i = 0; i < 4; i++) {
                p[4 + i] = (byte) (timestamp >> (24 - 8 * i));
                p[8 + i] = (byte) (ssrc >> (24 - 8 * i));
            }
            for (int i = 0; i < FRAME; i++) {
                p[12 + i] = audio[position];
                position = (position + 1) % audio.length;
            }
            seq = (seq + 1) & 0xFFFF;
            timestamp = (timestamp + FRAME) & 0xFFFFFFFFL;
            dueNanos += 20_000_000L;
            return p;
        }
    }

    /** Samples per packet of music on hold: 20 ms at 8 kHz. */
    static final int FRAME = 160;
    /** The music in both laws, converted once when it is set, not for each call put on hold. */
    private record Music(byte[] ulaw, byte[] alaw) {
        static Music of(byte[] ulaw) {
            return new Music(ulaw, G711.fromUlaw(ulaw, 8));
        }
    }

    private volatile Music music = Music.of(MusicOnHold.shipped());

    /** The music held phones hear (G.711 µ-law, 8 kHz): the shipped tune unless another is configured. */
    public void music(byte[] ulaw) {
        if (ulaw != null && ulaw.length >= FRAME && ulaw != music.ulaw()) {
            music = Music.of(ulaw);
        }
    }

    /** {@code leg}'s phone hears music in {@code payloadType} (0 PCMU, 8 PCMA) instead of the other side, until {@link #stopPlaying}. */
    public void play(Leg leg, int payloadType) {
        Music m = music;
        leg.playback = payloadType == 8 ? new Playback(m.alaw(), 8, System.nanoTime()) : new Playback(m.ulaw(), 0, System.nanoTime());
        leg.session.worker.playing.add(leg);
        leg.session.worker.selector.wakeup();
        LOG.info("media relay: {} plays music on hold to the {}", leg.session.id, leg == leg.session.caller ? "caller" : "callee");
    }

    /** {@code leg}'s phone hears the other side again. */
    public void stopPlaying(Leg leg) {
        if (leg.playback != null) {
            LOG.info("media relay: {} stops the music to the {}", leg.session.id, leg == leg.session.caller ? "caller" : "callee");
            leg.resync = true; // the other side's audio continues the music's stream
        }
        leg.playback = null;
        leg.session.worker.playing.remove(leg);
    }

    /**
     * A packet from the other side on its way to {@code to}'s phone (relay thread): counted as what
     * that phone last got, and rewritten to continue its stream when the stream it gets changed.
     */
    private static boolean continuity(Leg to, byte[] b, int n, RtpPacket p, long now) {
        if (p == null || n < 12) {
            return false;
        }
        if (!to.sent) {
            to.sourceSsrc = p.ssrc();
        } else if (p.ssrc() != to.sourceSsrc || to.resync) {
            long gap = Math.max(1, (now - to.sentNanos) / 20_000_000L);
            to.translating = true;
            to.seqDelta = (to.sentSeq + (int) gap - p.sequence()) & 0xFFFF;
            to.tsDelta = (to.sentTs + FRAME * gap - p.timestamp()) & 0xFFFFFFFFL;
            to.sourceSsrc = p.ssrc();
            to.resync = false;
        }
        int seq = p.sequence();
        long ts = p.timestamp();
        long ssrc = p.ssrc();
        if (to.translating) {
            seq = (seq + to.seqDelta) & 0xFFFF;
            ts = (ts + to.tsDelta) & 0xFFFFFFFFL;
            ssrc = to.sentSsrc;
            b[2] = (byte) (seq >> 8);
            b[3] = (byte) seq;
            for (int i = 0; i < 4; i++) {
                b[4 + i] = (byte) (ts >> (24 - 8 * i));
                b[8 + i] = (byte) (ssrc >> (24 - 8 * i));
            }
        }
        to.sent = true;
        to.sentSsrc = ssrc;
        to.sentSeq = seq;
        to.sentTs = ts;
        to.sentNanos = now;
        return to.translating;
    }

    /** Whether {@code leg}'s phone hears music now. */
    public boolean playing(Leg leg) {
        return leg.playback != null;
    }

    /** Sends the music packets that are due (relay thread). */
    private static void playDue(Worker w, long now) {
        for (Leg leg : w.playing) {
            Playback pb = leg.playback;
            if (pb == null || !leg.rtp.isOpen()) {
                w.playing.remove(leg);
                continue;
            }
            if (!pb.started) {
                pb.continueFrom(leg, now);
            }
            InetSocketAddress target = leg.rtpTarget();
            for (int i = 0; i < 10 && pb.dueNanos <= now; i++) {
                byte[] packet = pb.next();
                leg.musicFrames++;
                leg.sent = true;
                leg.sentSsrc = pb.ssrc & 0xFFFFFFFFL;
                leg.sentSeq = (pb.seq - 1) & 0xFFFF;
                leg.sentTs = (pb.timestamp - FRAME) & 0xFFFFFFFFL;
                leg.sentNanos = now;
                if (target != null) {
                    try {
                        leg.rtp.send(ByteBuffer.wrap(packet), target);
                    } catch (IOException e) {
                        // a lost frame of music
                    }
                }
            }
            if (pb.dueNanos <= now) {
                pb.dueNanos = now + 20_000_000L; // far behind (a stall): go on from now, not in a burst
            }
        }
    }

    /** Forwards what waits on {@code in}: at most 64 packets, so one busy socket cannot starve the others. */
    private void drain(Worker w, DatagramChannel in, Attachment a) {
        Leg from = a.leg();
        ByteBuffer buffer = w.buffer;
        byte[] heap = w.heap;
        for (int i = 0; i < 64; i++) {
            buffer.clear();
            SocketAddress src;
            try {
                src = in.receive(buffer);
            } catch (IOException e) {
                return; // closed by a release, or an ICMP error from the last send
            }
            if (src == null) {
                return;
            }
            InetSocketAddress source = (InetSocketAddress) src;
            InetSocketAddress latched = a.rtp() ? from.latchedRtp : from.latchedRtcp;
            boolean expected = from.mayLatch(source.getAddress());
            InetSocketAddress sdp = from.sdpRtp;
            boolean exact = sdp != null && sdp.getAddress().equals(source.getAddress())
                    && sdp.getPort() + (a.rtp() ? 0 : 1) == source.getPort();
            // the first packet latches; a packet from where the phone was expected (its SDP address, its signalling
            // source) takes over a latch a packet from anywhere else got first, so a stranger spraying the relay's
            // ports cannot keep a call's audio (RTP bleed), while a phone that sends from another of its addresses works;
            // and a packet from the very address and port of the SDP takes over a latch to another port of that address
            // (after a transfer the phone that left, on the same host as the new one, may still send a packet or two)
            if (latched == null && !expected && !exact && source.equals(a.rtp() ? from.leftRtp : from.leftRtcp)
                    && from.leftPackets++ < LEFT_PATIENCE) {
                from.dropped++; // the phone that left (a transfer) while its successor has not sent yet
                continue;
            }
            if (latched == null || (!latched.equals(source) && (expected && !(a.rtp() ? from.expectedRtp : from.expectedRtcp)
                    || exact && !exactly(latched, sdp, a.rtp())))) {
                if (a.rtp()) {
                    from.leftRtp = null;
                    from.latchedRtp = source;
                    from.expectedRtp = expected;
                } else {
                    from.leftRtcp = null;
                    from.latchedRtcp = source;
                    from.expectedRtcp = expected;
                }
            } else if (!latched.equals(source)) {
                from.dropped++;
                continue;
            }
            buffer.flip();
            int n = buffer.remaining();
            RtpPacket rtp = null;
            if (a.rtp()) {
                from.packets++;
                from.bytes += n;
                buffer.get(0, heap, 0, n);
                rtp = RtpPacket.parse(heap, 0, n);
                if (rtp != null) {
                    long nanos = System.nanoTime();
                    from.measure(rtp, source, nanos / 1e9);
                    Recorder rec = from.session.recorder;
                    if (rec != null) {
                        rec.add(from == from.session.caller ? 0 : 1, rtp.payloadType(), heap, payloadOffset(heap, n), rtp.payloadLength(), nanos);
                    }
                }
            }
            from.session.lastPacketMs = System.currentTimeMillis();
            Leg to = from.other;
            if (a.rtp() && to.playback != null) {
                continue; // the other phone is on hold: it hears music, not this side
            }
            InetSocketAddress target = a.rtp() ? to.rtpTarget() : to.rtcpTarget();
            if (target == null) {
                continue; // the other side has not said where it receives yet
            }
            if (a.rtp() && continuity(to, heap, n, rtp, System.nanoTime())) {
                buffer.put(0, heap, 0, 12); // the header rewritten to continue the stream the phone gets
            }
            try {
                (a.rtp() ? to.rtp : to.rtcp).send(buffer, target);
            } catch (IOException e) {
                // a full socket buffer or an unreachable phone loses this packet, nothing else
            }
        }
    }

    private void expire(long now) {
        List<Session> dead = new ArrayList<>();
        long nanos = System.nanoTime();
        synchronized (this) {
            for (Session s : sessions.values()) {
                Recorder rec = s.recorder;
                if (rec != null) {
                    rec.tick(nanos);
                }
                if (s.answered ? now - s.lastPacketMs > settings.timeoutMs() : now - s.openedMs > RING_TIMEOUT_MS) {
                    dead.add(s);
                }
            }
        }
        for (Session s : dead) {
            LOG.info("media relay: no RTP for {} s on {}: ending the call", settings.timeoutMs() / 1000, s.id);
            try {
                timedOut.accept(s.id);
            } catch (RuntimeException e) {
                LOG.warn("media relay: {}", e.toString());
            }
            release(s.id);
        }
    }

    private static void closeQuietly(DatagramChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    /**
     * Stops relaying without ending the sessions (the module hands them to its next version):
     * the relay threads stop, the sockets stay open, each session's recording ends here; returns
     * the sessions. {@link #close} after this closes nothing of theirs.
     */
    public List<SessionState> handOver() {
        List<Session> all;
        synchronized (this) {
            running = false;
            all = new ArrayList<>(sessions.values());
            sessions.clear();
        }
        stopWorkers();
        List<SessionState> out = new ArrayList<>();
        for (Session s : all) {
            Recorder rec = s.recorder;
            if (rec != null) {
                rec.close(); // the file holds the call up to the swap
            }
            out.add(new SessionState(s.id, s.caller.port, s.callee.port, s.answered, s.openedMs, s.recording, state(s.caller),
                    state(s.callee)));
        }
        return out;
    }

    private static LegState state(Leg l) {
        List<RtpStream> streams;
        synchronized (l) {
            streams = List.copyOf(l.streams.values());
        }
        return new LegState(l.sdpRtp, l.latchedRtp, l.latchedRtcp, l.expectedRtp, l.expectedRtcp, l.signalling, l.packets, l.bytes,
                l.dropped, streams);
    }

    /**
     * Relays the sessions a previous version handed over, on the same sockets (the ports lend
     * them again); a session whose ports are outside this relay's range, or cannot be had, is
     * dropped (its call goes on without audio). Returns how many were taken.
     */
    public int takeOver(List<SessionState> handed) {
        int taken = 0;
        for (SessionState h : handed) {
            Session s;
            synchronized (this) {
                if (sessions.containsKey(h.id()) || !free.contains(h.callerPort()) || !free.contains(h.calleePort())) {
                    continue;
                }
                DatagramChannel[] ch = new DatagramChannel[4];
                int[] at = { h.callerPort(), h.callerPort() + 1, h.calleePort(), h.calleePort() + 1 };
                int got = 0;
                try {
                    for (; got < 4; got++) {
                        ch[got] = bind(at[got]);
                    }
                } catch (IOException e) {
                    for (int i = 0; i < got; i++) {
                        unbind(ch[i], at[i]);
                    }
                    LOG.warn("media relay: {} not taken over: {}", h.id(), e.getMessage());
                    continue;
                }
                free.remove(h.callerPort());
                free.remove(h.calleePort());
                s = new Session(h.id(), ch, h.callerPort(), h.calleePort(), System.currentTimeMillis(), workers[nextWorker++ % workers.length]);
                s.answered = h.answered();
                s.recording = h.recording();
                restore(s.caller, h.caller());
                restore(s.callee, h.callee());
                sessions.put(h.id(), s);
            }
            relay(s);
            taken++;
        }
        return taken;
    }

    private static void restore(Leg l, LegState st) {
        l.sdpRtp = st.sdpRtp();
        l.latchedRtp = st.latchedRtp();
        l.latchedRtcp = st.latchedRtcp();
        l.expectedRtp = st.expectedRtp();
        l.expectedRtcp = st.expectedRtcp();
        l.signalling = st.signalling();
        l.packets = st.packets();
        l.bytes = st.bytes();
        l.dropped = st.dropped();
        synchronized (l) {
            for (RtpStream r : st.streams() == null ? List.<RtpStream>of() : st.streams()) {
                if (l.streams.size() < 4) {
                    l.streams.put(r.key().ssrc(), r); // its statistics go on: the CDR's MOS is the whole call's
                }
            }
        }
    }

    private void stopWorkers() {
        for (Worker w : workers) {
            try {
                w.selector.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        for (Worker w : workers) {
            try {
                w.thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        running = false;
        List<String> ids;
        synchronized (this) {
            ids = new ArrayList<>(sessions.keySet());
        }
        ids.forEach(this::release);
        stopWorkers();
    }
}
