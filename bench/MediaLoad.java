import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The load of bench/media.sh: CALLS concurrent G.711 calls (20 ms packets, 50 a second each way,
 * 172 bytes) through a media relay for SECONDS, with what each side received: loss, RFC 3550
 * interarrival jitter, and the relay process's CPU per 1000 packets and memory per call.
 *
 *   java bench/MediaLoad.java besip HOST:SIPPORT PASSWORD CALLS SECONDS PID
 *       the calls are set up through the box over SIP: user1 calls user0 (digest answered), the
 *       tool is both phones; the box's relay (media/relay always) carries them
 *   java bench/MediaLoad.java rtpengine HOST:NGPORT - CALLS SECONDS PID
 *       the sessions are set up with rtpengine's ng control protocol (offer, answer)
 *   java bench/MediaLoad.java direct - - CALLS SECONDS 0
 *       no relay: each side sends to the other's socket (the generator's own jitter)
 *
 * Prints one line of JSON. Everything is bounded: at most 2000 calls, 120 s.
 */
public class MediaLoad {

    static volatile boolean running;

    /** Waits (at most 2 s) until every packet sent has arrived, or none more arrives for 200 ms: the rest is lost. */
    static void awaitInFlight(List<Stream> streams) throws InterruptedException {
        long deadline = System.nanoTime() + 2_000_000_000L;
        long last = -1;
        long quietSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            long sent = 0;
            long received = 0;
            for (Stream s : streams) {
                synchronized (s) {
                    sent += s.sent;
                    received += s.received;
                }
            }
            if (received >= sent) {
                return;
            }
            if (received != last) {
                last = received;
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince > 200_000_000L) {
                return;
            }
            Thread.sleep(10);
        }
    }
    static volatile long foreign;
    static volatile String firstForeign = "";

    static final int PAYLOAD = 160;
    static final long PERIOD_NS = 20_000_000L;

    /** One direction of a call: the socket it is sent from, where to, and what its receiving socket saw. */
    static final class Stream {
        DatagramChannel from;
        DatagramChannel to; // where it arrives (the other side's socket)
        InetSocketAddress target;
        int seq;
        long sent;
        long received;
        double jitter;
        long lastTransit = Long.MIN_VALUE;
        final int ssrc;

        Stream(int ssrc) {
            this.ssrc = ssrc;
        }
    }

    public static void main(String[] a) throws Exception {
        String mode = a[0];
        String peer = a[1];
        String password = a[2];
        int calls = Math.min(2000, Integer.parseInt(a[3]));
        int seconds = Math.min(120, Integer.parseInt(a[4]));
        int pid = Integer.parseInt(a[5]);
        List<Stream> streams = new ArrayList<>();
        List<DatagramChannel> sockets = new ArrayList<>();
        long setupStart = System.nanoTime();
        long pssBefore = pss(pid);
        Sip sip = mode.equals("besip") ? new Sip(peer, password) : null;
        Ng ng = mode.equals("rtpengine") ? new Ng(peer) : null;
        if (sip != null) {
            sip.register();
        }
        for (int i = 0; i < calls; i++) {
            DatagramChannel caller = udp();
            DatagramChannel callee = udp();
            sockets.add(caller);
            sockets.add(callee);
            int cp = ((InetSocketAddress) caller.getLocalAddress()).getPort();
            int ep = ((InetSocketAddress) callee.getLocalAddress()).getPort();
            InetSocketAddress toCallee; // where the caller sends
            InetSocketAddress toCaller; // where the callee sends
            if (mode.equals("direct")) {
                toCallee = new InetSocketAddress("127.0.0.1", ep);
                toCaller = new InetSocketAddress("127.0.0.1", cp);
            } else if (sip != null) {
                int[] ports = sip.call("bench-" + i + "-" + setupStart, cp, ep);
                toCaller = new InetSocketAddress("127.0.0.1", ports[0]); // the callee is told the box's port for its leg
                toCallee = new InetSocketAddress("127.0.0.1", ports[1]); // the caller is told the box's port for its leg
            } else {
                int[] ports = ng.call("bench-" + i + "-" + setupStart, cp, ep);
                toCaller = new InetSocketAddress("127.0.0.1", ports[0]);
                toCallee = new InetSocketAddress("127.0.0.1", ports[1]);
            }
            Stream up = new Stream(0x10000 + 2 * i);
            up.from = caller;
            up.to = callee;
            up.target = toCallee;
            Stream down = new Stream(0x10001 + 2 * i);
            down.from = callee;
            down.to = caller;
            down.target = toCaller;
            streams.add(up);
            streams.add(down);
        }
        double setupS = (System.nanoTime() - setupStart) / 1e9;
        Map<DatagramChannel, Stream> byReceiver = new LinkedHashMap<>();
        for (Stream s : streams) {
            byReceiver.put(s.to, s);
        }
        Selector selector = Selector.open();
        for (DatagramChannel c : sockets) {
            c.register(selector, SelectionKey.OP_READ, byReceiver.get(c));
        }
        // one second of media before the measured window, so latching and warm-up are behind
        running = true;
        Thread receiver = new Thread(() -> receive(selector), "receiver");
        receiver.start();
        send(streams, 1_000_000_000L);
        long cpu0 = cpuTicks(pid);
        long pssLoaded = pss(pid);
        for (Stream s : streams) {
            synchronized (s) {
                s.sent = 0;
                s.received = 0;
                s.jitter = 0;
                s.lastTransit = Long.MIN_VALUE;
            }
        }
        long t0 = System.nanoTime();
        send(streams, seconds * 1_000_000_000L);
        long t1 = System.nanoTime();
        long cpu1 = cpuTicks(pid);
        awaitInFlight(streams); // what is still in flight arrives
        running = false;
        selector.wakeup();
        receiver.join(2000);
        long sent = 0;
        long sentTotal = 0; // the warm-up second's packets too
        long received = 0;
        double jitterSum = 0;
        double jitterMax = 0;
        for (Stream s : streams) {
            synchronized (s) {
                sent += s.sent;
                sentTotal += s.seq;
                received += Math.min(s.received, s.sent);
                jitterSum += s.jitter;
                jitterMax = Math.max(jitterMax, s.jitter);
            }
        }
        if (sip != null) {
            sip.hangUpAll();
        } else if (ng != null) {
            ng.deleteAll();
        }
        long hz = 100;
        double cpuMsPer1000 = pid == 0 || received == 0 ? 0 : (cpu1 - cpu0) * 1000.0 / hz * 1000.0 / received;
        double lossPct = sent == 0 ? 100 : 100.0 * (sent - received) / sent;
        System.out.printf(java.util.Locale.ROOT,
                "{\"mode\": \"%s\", \"calls\": %d, \"seconds\": %.1f, \"setup_s\": %.2f, \"sent\": %d, \"sent_total\": %d, \"received\": %d, \"loss_pct\": %.4f,"
                        + " \"jitter_ms_mean\": %.3f, \"jitter_ms_max\": %.3f, \"cpu_ms_per_1000\": %.4f, \"cpu_pct\": %.1f,"
                        + " \"pss_kib_per_call\": %.1f, \"foreign\": %d, \"first_foreign\": \"%s\"}%n",
                mode, calls, (t1 - t0) / 1e9, setupS, sent, sentTotal, received, lossPct, jitterSum / streams.size() / 8.0,
                jitterMax / 8.0, cpuMsPer1000, pid == 0 ? 0 : (cpu1 - cpu0) * 100.0 / hz / ((t1 - t0) / 1e9),
                pid == 0 ? 0 : (pssLoaded - pssBefore) / (double) calls, foreign, firstForeign);
        for (DatagramChannel c : sockets) {
            c.close();
        }
    }


    static DatagramChannel udp() throws IOException {
        DatagramChannel c = DatagramChannel.open();
        c.bind(new InetSocketAddress("127.0.0.1", 0));
        c.configureBlocking(false);
        return c;
    }

    /** Sends every stream's packets every 20 ms (staggered over the period) for {@code ns}. */
    static void send(List<Stream> streams, long ns) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(12 + PAYLOAD);
        long start = System.nanoTime();
        long tick = 0;
        int n = streams.size();
        while (System.nanoTime() - start < ns) {
            long due = start + tick * PERIOD_NS;
            for (int i = 0; i < n; i++) {
                long at = due + PERIOD_NS * i / n;
                long wait = at - System.nanoTime();
                if (wait > 50_000) {
                    LockSupport.parkNanos(wait);
                }
                Stream s = streams.get(i);
                b.clear();
                b.put((byte) 0x80).put((byte) 0).putShort((short) s.seq).putInt(s.seq * PAYLOAD).putInt(s.ssrc);
                b.putLong(System.nanoTime()); // when it left, in the payload: the receiver's transit time
                while (b.position() < 12 + PAYLOAD) {
                    b.put((byte) 0xFF);
                }
                b.flip();
                s.seq++;
                s.from.send(b, s.target);
                synchronized (s) {
                    s.sent++;
                }
            }
            tick++;
        }
    }

    /** Counts what arrives and keeps each stream's RFC 3550 jitter (in timestamp units, 8 a millisecond). */
    static void receive(Selector selector) {
        ByteBuffer b = ByteBuffer.allocate(2048);
        try {
            while (running) {
                selector.select(100);
                for (SelectionKey k : selector.selectedKeys()) {
                    DatagramChannel c = (DatagramChannel) k.channel();
                    Stream s = (Stream) k.attachment();
                    for (int i = 0; i < 64; i++) {
                        b.clear();
                        SocketAddress from = c.receive(b);
                        if (from == null) {
                            break;
                        }
                        if (b.position() < 20 || s == null) {
                            continue;
                        }
                        long sentAt = b.getLong(12);
                        long now = System.nanoTime();
                        if (now - sentAt < 0 || now - sentAt > 10_000_000_000L) {
                            // not sent by this run: no timestamp of ours in it
                            if (foreign++ == 0) {
                                byte[] head = new byte[Math.min(24, b.position())];
                                b.get(0, head);
                                firstForeign = from + " to " + c.getLocalAddress() + ": " + HexFormat.of().formatHex(head);
                            }
                            continue;
                        }
                        long transit = (now - sentAt) * 8 / 1_000_000; // in 8 kHz timestamp units
                        synchronized (s) {
                            s.received++;
                            if (s.lastTransit != Long.MIN_VALUE) {
                                double d = Math.abs(transit - s.lastTransit);
                                s.jitter += (d - s.jitter) / 16.0;
                            }
                            s.lastTransit = transit;
                        }
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The relay process's CPU time so far (user and system, all its threads), in clock ticks (100 a second). */
    static long cpuTicks(int pid) throws IOException {
        if (pid == 0) {
            return 0;
        }
        String[] f = Files.readString(Path.of("/proc/" + pid + "/stat")).replaceAll("^.*\\) ", "").split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    static long pss(int pid) throws IOException {
        if (pid == 0) {
            return 0;
        }
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
            if (line.startsWith("Pss:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    static String sdp(int port) {
        return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " + port + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    }

    static int port(String sdp) {
        Matcher m = Pattern.compile("m=audio (\\d+) ").matcher(sdp);
        if (!m.find()) {
            throw new IllegalStateException("no audio port in: " + sdp);
        }
        return Integer.parseInt(m.group(1));
    }

    /** The two phones of the besip run, on two SIP sockets: user0 (registered, answers) and user1 (calls, digest answered). */
    static final class Sip {
        final InetSocketAddress box;
        final String password;
        final DatagramChannel callerSip;
        final DatagramChannel calleeSip;
        final int callerPort;
        final int calleePort;
        final List<String[]> up = new ArrayList<>(); // Call-ID, To with tag, ACK target
        int cseq = 1;

        Sip(String hostPort, String password) throws IOException {
            String[] hp = hostPort.split(":");
            this.box = new InetSocketAddress(hp[0], Integer.parseInt(hp[1]));
            this.password = password;
            callerSip = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            calleeSip = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            callerPort = ((InetSocketAddress) callerSip.getLocalAddress()).getPort();
            calleePort = ((InetSocketAddress) calleeSip.getLocalAddress()).getPort();
            callerSip.socket().setSoTimeout(5000);
            calleeSip.socket().setSoTimeout(5000);
        }

        static String md5(String s) throws Exception {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
        }

        static String param(String h, String name) {
            Matcher m = Pattern.compile(name + "=\"?([^\",]+)\"?").matcher(h);
            return m.find() ? m.group(1) : null;
        }

        String authorization(String challenge, String user, String method, String uri) throws Exception {
            String realm = param(challenge, "realm");
            String nonce = param(challenge, "nonce");
            String ha1 = md5(user + ":" + realm + ":" + password);
            String ha2 = md5(method + ":" + uri);
            String resp = md5(ha1 + ":" + nonce + ":00000001:bench:auth:" + ha2);
            return "Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\"" + nonce + "\", uri=\"" + uri + "\", response=\""
                    + resp + "\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"bench\"";
        }

        static String read(DatagramChannel c) throws IOException {
            java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[8192], 8192);
            c.socket().receive(p);
            return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
        }

        void sendTo(DatagramChannel c, String msg, InetSocketAddress to) throws IOException {
            String[] parts = msg.split("\r\n\r\n", 2);
            String body = parts.length > 1 ? parts[1] : "";
            String text = parts[0] + "\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
            c.send(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), to);
        }

        static String header(String msg, String name) {
            Matcher m = Pattern.compile("(?mi)^" + name + ":\\s*(.*?)\\r?$").matcher(msg);
            return m.find() ? m.group(1) : null;
        }

        static int status(String msg) {
            return msg.startsWith("SIP/2.0 ") ? Integer.parseInt(msg.substring(8, 11)) : 0;
        }

        /** user0 registers from the callee's socket (401, then with credentials). */
        void register() throws Exception {
            String uri = "sip:" + box.getHostString() + ":" + box.getPort();
            String auth = null;
            for (int attempt = 0; attempt < 2; attempt++) {
                sendTo(calleeSip, "REGISTER " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + calleePort + ";branch=z9hG4bKreg" + attempt
                        + "\r\nMax-Forwards: 70\r\nFrom: <sip:user0@127.0.0.1>;tag=r0\r\nTo: <sip:user0@127.0.0.1>\r\nCall-ID: bench-reg\r\n"
                        + "CSeq: " + (attempt + 1) + " REGISTER\r\nContact: <sip:user0@127.0.0.1:" + calleePort + ">\r\nExpires: 600\r\n"
                        + (auth == null ? "" : "Authorization: " + auth + "\r\n") + "\r\n", box);
                String r = read(calleeSip);
                if (status(r) == 200) {
                    return;
                }
                if (status(r) != 401) {
                    throw new IllegalStateException("REGISTER: " + r);
                }
                auth = authorization(header(r, "WWW-Authenticate"), "user0", "REGISTER", uri);
            }
            throw new IllegalStateException("REGISTER refused twice");
        }

        /** One call from user1 to user0; returns the box's ports: the one the callee sends to, the one the caller sends to. */
        int[] call(String callId, int callerRtp, int calleeRtp) throws Exception {
            String uri = "sip:user0@" + box.getHostString() + ":" + box.getPort();
            String auth = null;
            for (int attempt = 0; attempt < 2; attempt++) {
                int n = cseq++;
                String branch = "z9hG4bK" + callId + "-" + attempt;
                String invite = "INVITE " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + callerPort + ";branch=" + branch + "\r\n"
                        + "Max-Forwards: 70\r\nFrom: <sip:user1@127.0.0.1>;tag=c" + n + "\r\nTo: <sip:user0@127.0.0.1>\r\nCall-ID: " + callId
                        + "\r\nCSeq: " + n + " INVITE\r\nContact: <sip:user1@127.0.0.1:" + callerPort + ">\r\nContent-Type: application/sdp\r\n"
                        + (auth == null ? "" : "Proxy-Authorization: " + auth + "\r\n") + "\r\n" + sdp(callerRtp);
                sendTo(callerSip, invite, box);
                String r = read(callerSip); // the box's 100 Trying, or its 407
                if (status(r) == 407) {
                    sendTo(callerSip, "ACK " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + callerPort + ";branch=" + branch + "\r\n"
                            + "Max-Forwards: 70\r\nFrom: <sip:user1@127.0.0.1>;tag=c" + n + "\r\nTo: " + header(r, "To") + "\r\nCall-ID: " + callId
                            + "\r\nCSeq: " + n + " ACK\r\n\r\n", box);
                    auth = authorization(header(r, "Proxy-Authenticate"), "user1", "INVITE", uri);
                    continue;
                }
                if (status(r) != 100) {
                    throw new IllegalStateException("INVITE: " + r);
                }
                // the callee's side: the INVITE the box sent (its SDP names the box's port for the callee); the ACKs of
                // the calls before come here too
                String in = read(calleeSip);
                for (int i = 0; i < 1000 && !in.startsWith("INVITE"); i++) {
                    in = read(calleeSip);
                }
                int forCallee = port(in);
                String ok = "SIP/2.0 200 OK\r\n" + headers(in, "Via") + "From: " + header(in, "From") + "\r\nTo: " + header(in, "To")
                        + ";tag=e" + n + "\r\nCall-ID: " + header(in, "Call-ID") + "\r\nCSeq: " + header(in, "CSeq") + "\r\n"
                        + (header(in, "Record-Route") == null ? "" : "Record-Route: " + header(in, "Record-Route") + "\r\n")
                        + "Contact: <sip:user0@127.0.0.1:" + calleePort + ">\r\nContent-Type: application/sdp\r\n\r\n" + sdp(calleeRtp);
                sendTo(calleeSip, ok, box);
                do {
                    r = read(callerSip);
                } while (status(r) < 200 || !callId.equals(header(r, "Call-ID")));
                if (status(r) != 200) {
                    throw new IllegalStateException("the call was answered: " + r);
                }
                int forCaller = port(r);
                String contact = header(r, "Contact").replaceAll("^.*<|>.*$", "");
                String rr = header(r, "Record-Route");
                sendTo(callerSip, "ACK " + contact + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + callerPort + ";branch=" + branch + "a\r\n"
                        + "Max-Forwards: 70\r\n" + (rr == null ? "" : "Route: " + rr + "\r\n") + "From: <sip:user1@127.0.0.1>;tag=c" + n
                        + "\r\nTo: " + header(r, "To") + "\r\nCall-ID: " + callId + "\r\nCSeq: " + n + " ACK\r\n\r\n", box);
                up.add(new String[] { callId, header(r, "To"), contact, rr, String.valueOf(n) });
                return new int[] { forCallee, forCaller };
            }
            throw new IllegalStateException("INVITE refused twice");
        }

        static String headers(String msg, String name) {
            StringBuilder sb = new StringBuilder();
            Matcher m = Pattern.compile("(?mi)^" + name + ":\\s*(.*?)\\r?$").matcher(msg);
            while (m.find()) {
                sb.append(name).append(": ").append(m.group(1)).append("\r\n");
            }
            return sb.toString();
        }

        /** A BYE for each call, one after the other: the callee answers it, the caller waits for the 200 (resent once after 500 ms). */
        void hangUpAll() throws Exception {
            callerSip.configureBlocking(false);
            calleeSip.configureBlocking(false);
            ByteBuffer b = ByteBuffer.allocate(8192);
            for (String[] c : up) {
                String bye = "BYE " + c[2] + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + callerPort + ";branch=z9hG4bKbye" + c[0] + "\r\n"
                        + "Max-Forwards: 70\r\n" + (c[3] == null ? "" : "Route: " + c[3] + "\r\n") + "From: <sip:user1@127.0.0.1>;tag=c" + c[4]
                        + "\r\nTo: " + c[1] + "\r\nCall-ID: " + c[0] + "\r\nCSeq: " + (Integer.parseInt(c[4]) + 1) + " BYE\r\n\r\n";
                sendTo(callerSip, bye, box);
                long start = System.nanoTime();
                boolean resent = false;
                boolean done = false;
                while (!done && System.nanoTime() - start < 2_000_000_000L) {
                    b.clear();
                    if (calleeSip.receive(b) != null) {
                        String in = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
                        if (in.startsWith("BYE")) {
                            sendTo(calleeSip, "SIP/2.0 200 OK\r\n" + headers(in, "Via") + "From: " + header(in, "From") + "\r\nTo: "
                                    + header(in, "To") + "\r\nCall-ID: " + header(in, "Call-ID") + "\r\nCSeq: " + header(in, "CSeq") + "\r\n\r\n", box);
                        }
                        continue;
                    }
                    b.clear();
                    if (callerSip.receive(b) != null) {
                        String r = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
                        done = status(r) == 200 && c[0].equals(header(r, "Call-ID")) && String.valueOf(header(r, "CSeq")).endsWith("BYE");
                        continue;
                    }
                    if (!resent && System.nanoTime() - start > 500_000_000L) {
                        sendTo(callerSip, bye, box);
                        resent = true;
                    }
                    LockSupport.parkNanos(100_000);
                }
            }
        }
    }

    /** rtpengine's ng control protocol (bencode over UDP): offer and answer set a call up, delete ends it. */
    static final class Ng {
        final InetSocketAddress to;
        final DatagramChannel c;
        final List<String> ids = new ArrayList<>();
        final String run = Long.toHexString(System.nanoTime());
        int cookie;

        Ng(String hostPort) throws IOException {
            String[] hp = hostPort.split(":");
            to = new InetSocketAddress(hp[0], Integer.parseInt(hp[1]));
            c = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            c.socket().setSoTimeout(5000);
        }

        static String str(String s) {
            return s.getBytes(StandardCharsets.UTF_8).length + ":" + s;
        }

        String command(Map<String, String> dict) throws IOException {
            StringBuilder d = new StringBuilder("d");
            dict.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> d.append(str(e.getKey())).append(str(e.getValue())));
            d.append("e");
            String k = run + "-" + (cookie++); // rtpengine answers a cookie it saw before from its cache
            c.send(ByteBuffer.wrap((k + " " + d).getBytes(StandardCharsets.UTF_8)), to);
            java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[65536], 65536);
            c.socket().receive(p);
            String r = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
            if (!r.startsWith(k + " ") || !r.contains("6:result2:ok")) {
                throw new IllegalStateException("rtpengine: " + r);
            }
            return r;
        }

        /** Returns rtpengine's ports: the one the callee sends to (in the offer it gets), the one the caller sends to. */
        int[] call(String callId, int callerRtp, int calleeRtp) throws IOException {
            Map<String, String> offer = new LinkedHashMap<>();
            offer.put("command", "offer");
            offer.put("call-id", callId);
            offer.put("from-tag", "c");
            offer.put("sdp", sdp(callerRtp));
            int forCallee = port(command(offer));
            Map<String, String> answer = new LinkedHashMap<>();
            answer.put("command", "answer");
            answer.put("call-id", callId);
            answer.put("from-tag", "c");
            answer.put("to-tag", "e");
            answer.put("sdp", sdp(calleeRtp));
            int forCaller = port(command(answer));
            ids.add(callId);
            return new int[] { forCallee, forCaller };
        }

        void deleteAll() throws IOException {
            for (String id : ids) {
                command(Map.of("command", "delete", "call-id", id, "from-tag", "c"));
            }
        }
    }
}
