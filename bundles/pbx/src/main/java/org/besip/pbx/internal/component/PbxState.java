package org.besip.pbx.internal.component;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.besip.pbx.internal.call.CallTracker;
import org.besip.pbx.internal.call.Prepaid;
import org.besip.pbx.internal.media.MediaRelay;
import org.besip.pbx.internal.proxy.B2bua;
import org.besip.pbx.internal.proxy.PendingInvite;
import org.besip.pbx.internal.proxy.TrunkRegistration;

/**
 * The live state the pbx module hands to its next version (core's {@code Handover}), and its
 * format, version {@value #VERSION} (docs/handover.md): big-endian {@link DataOutputStream}
 * fields, strings as a presence byte then modified UTF-8.
 *
 * <pre>
 * dialog key    32 bytes   keys the Record-Route tokens and Via branches: in-dialog requests,
 *                          retransmissions and late answers of calls routed before the swap match
 * nonce key     32 bytes   the digest nonces given out stay good
 * nonce counts  int n, n × (string nonce, long last nc)      replays stay refused
 * calls         int n, n × call                              CallTracker.Snapshot, field by field
 * credit holds  int n, n × (string call-id, string user, double amount)
 * relay         int n, n × session: string call-id, string caller tag, int caller port, int callee
 *               port, boolean answered, long opened, string recording, then caller leg and callee
 *               leg, each: address SDP RTP, address latched RTP, address latched RTCP, boolean
 *               expected RTP, boolean expected RTCP, string signalling source, long packets,
 *               long bytes, long dropped, (format 2) int s, s × RtpStream.write (the statistics of the
 *               streams its phone sent, at most 4) (an address: string host then int port, absent as null)
 * trunks        int n, n × registration in force: string trunk, address provider, string user,
 *               string domain, int expires, string Call-ID, long CSeq, long expires at, long refresh at
 *               (no password: the next version's configuration has it)
 * b2bua         (format 2) int n, n × answered call: string key, string caller tag, long start,
 *               string callee, boolean caller holds, boolean callee holds, boolean timer asked,
 *               boolean timer supported, long limit at, int m, m × string Call-ID it is found by,
 *               then leg A and leg B, each: string Call-ID, local, remote, local tag, remote tag,
 *               target, int r, r × string route, address next, boolean stream, long CSeq, long
 *               remote CSeq, long INVITE CSeq, boolean allows UPDATE, bytes SDP, bytes answer,
 *               bytes ACK (bytes: int length, -1 for none, then the bytes)
 * invites       (format 2) int n, n × INVITE forwarded without a final answer: string key, bytes
 *               request as forwarded, bytes request as it came, address caller, boolean stream,
 *               bytes last answer sent up, int its status, int b, b × branch: string key, bytes
 *               request, address next hop, boolean stream, int status, boolean CANCEL pending
 * </pre>
 *
 * Format 1 is format 2 without the legs' streams and the b2bua and invites sections: it is read
 * too (a version before this one).
 * Pure: encodes and decodes, nothing else.
 */
public record PbxState(byte[] dialogKey, byte[] nonceKey, Map<String, Long> nonceCounts, List<CallTracker.Snapshot> calls,
        List<Prepaid.Hold> holds, List<Relayed> relay, List<TrunkRegistration.Held> trunks, List<B2bua.DialogState> dialogs,
        List<PendingInvite> invites) {

    /** A state without INVITEs in progress. */
    public PbxState(byte[] dialogKey, byte[] nonceKey, Map<String, Long> nonceCounts, List<CallTracker.Snapshot> calls, List<Prepaid.Hold> holds,
            List<Relayed> relay, List<TrunkRegistration.Held> trunks, List<B2bua.DialogState> dialogs) {
        this(dialogKey, nonceKey, nonceCounts, calls, holds, relay, trunks, dialogs, List.of());
    }

    /** A relay session with its call's caller tag (how the anchor tells the caller's SDP from the callee's). */
    public record Relayed(MediaRelay.SessionState session, String callerTag) {
    }

    /** The format this version writes and reads. */
    public static final int VERSION = 2;
    /** The oldest format this version still reads. */
    public static final int OLDEST = 1;
    /** Bounds on a message kept in the state (an SDP, a 2xx): a SIP message over UDP is smaller. */
    private static final int MAX_BYTES = 65_536;
    private static final int KEY = 32;
    /** Bounds on what is read back (a corrupt state must not allocate without limit). */
    private static final int MAX_ENTRIES = 100_000;

    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(dialogKey);
            out.write(nonceKey);
            out.writeInt(nonceCounts.size());
            for (Map.Entry<String, Long> e : nonceCounts.entrySet()) {
                string(out, e.getKey());
                out.writeLong(e.getValue());
            }
            out.writeInt(calls.size());
            for (CallTracker.Snapshot c : calls) {
                for (String s : new String[] { c.callId(), c.from(), c.to(), c.source(), c.fromTag() }) {
                    string(out, s);
                }
                out.writeLong(c.startMs());
                string(out, c.trunk());
                out.writeLong(c.answerMs());
                for (String s : new String[] { c.callerFrom(), c.callerContact(), c.callerAddress(), c.calleeTo(), c.calleeContact() }) {
                    string(out, s);
                }
                Prepaid.Decision d = c.price();
                out.writeBoolean(d != null);
                if (d != null) {
                    out.writeInt(d.status());
                    string(out, d.reason());
                    string(out, d.user());
                    out.writeDouble(d.pricePerMinute());
                    out.writeLong(d.maxDurationMs());
                }
                out.writeLong(c.deadlineMs());
                string(out, c.callerMedia());
                string(out, c.calleeMedia());
                out.writeInt(c.payloads().size());
                for (String p : c.payloads()) {
                    string(out, p);
                }
            }
            out.writeInt(holds.size());
            for (Prepaid.Hold h : holds) {
                string(out, h.callId());
                string(out, h.user());
                out.writeDouble(h.amount());
            }
            out.writeInt(relay.size());
            for (Relayed r : relay) {
                MediaRelay.SessionState st = r.session();
                string(out, st.id());
                string(out, r.callerTag());
                out.writeInt(st.callerPort());
                out.writeInt(st.calleePort());
                out.writeBoolean(st.answered());
                out.writeLong(st.openedMs());
                string(out, st.recording());
                for (MediaRelay.LegState l : List.of(st.caller(), st.callee())) {
                    address(out, l.sdpRtp());
                    address(out, l.latchedRtp());
                    address(out, l.latchedRtcp());
                    out.writeBoolean(l.expectedRtp());
                    out.writeBoolean(l.expectedRtcp());
                    string(out, l.signalling() == null ? null : l.signalling().getHostAddress());
                    out.writeLong(l.packets());
                    out.writeLong(l.bytes());
                    out.writeLong(l.dropped());
                    List<org.besip.core.api.quality.RtpStream> streams = l.streams() == null ? List.of() : l.streams();
                    out.writeInt(streams.size());
                    for (org.besip.core.api.quality.RtpStream st2 : streams) {
                        st2.write(out);
                    }
                }
            }
            out.writeInt(trunks.size());
            for (TrunkRegistration.Held t : trunks) {
                TrunkRegistration.Account a = t.account();
                string(out, a.trunk());
                address(out, a.provider());
                string(out, a.user());
                string(out, a.domain());
                out.writeInt(a.expiresS());
                string(out, t.callId());
                out.writeLong(t.cseq());
                out.writeLong(t.expiresAtMs());
                out.writeLong(t.refreshAtMs());
            }
            out.writeInt(dialogs.size());
            for (B2bua.DialogState d : dialogs) {
                string(out, d.key());
                string(out, d.callerTag());
                out.writeLong(d.startMs());
                string(out, d.callee());
                out.writeBoolean(d.callerHolds());
                out.writeBoolean(d.calleeHolds());
                out.writeBoolean(d.timerAsked());
                out.writeBoolean(d.timerSupported());
                out.writeLong(d.limitAtMs());
                strings(out, d.names());
                for (B2bua.LegState l : List.of(d.a(), d.b())) {
                    for (String x : new String[] { l.callId(), l.local(), l.remote(), l.localTag(), l.remoteTag(), l.target() }) {
                        string(out, x);
                    }
                    strings(out, l.route());
                    address(out, l.next());
                    out.writeBoolean(l.stream());
                    out.writeLong(l.cseq());
                    out.writeLong(l.remoteCseq());
                    out.writeLong(l.inviteCseq());
                    out.writeBoolean(l.allowsUpdate());
                    bytes(out, l.sdp());
                    bytes(out, l.answer());
                    bytes(out, l.ack());
                }
            }
            out.writeInt(invites.size());
            for (PendingInvite p : invites) {
                string(out, p.key());
                bytes(out, p.request());
                bytes(out, p.first());
                address(out, p.upstream());
                out.writeBoolean(p.reliable());
                bytes(out, p.last());
                out.writeInt(p.lastStatus());
                out.writeInt(p.branches().size());
                for (PendingInvite.Branch b : p.branches()) {
                    string(out, b.key());
                    bytes(out, b.request());
                    address(out, b.next());
                    out.writeBoolean(b.reliable());
                    out.writeInt(b.status());
                    out.writeBoolean(b.cancelPending());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return bytes.toByteArray();
    }

    /** A state in this version's format. @throws IOException the bytes are not one (truncated, corrupt) */
    public static PbxState decode(byte[] data) throws IOException {
        return decode(VERSION, data);
    }

    /** A state in format {@code version} ({@value #OLDEST} to {@value #VERSION}). @throws IOException not one (truncated, corrupt) */
    public static PbxState decode(int version, byte[] data) throws IOException {
        if (version < OLDEST || version > VERSION) {
            throw new IOException("format " + version + " is not one this version reads (" + OLDEST + " to " + VERSION + ")");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
        byte[] dialog = in.readNBytes(KEY);
        byte[] nonce = in.readNBytes(KEY);
        if (nonce.length != KEY) {
            throw new IOException("truncated keys");
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        for (int i = 0, n = count(in); i < n; i++) {
            counts.put(string(in), in.readLong());
        }
        List<CallTracker.Snapshot> calls = new ArrayList<>();
        for (int i = 0, n = count(in); i < n; i++) {
            String callId = string(in);
            String from = string(in);
            String to = string(in);
            String source = string(in);
            String fromTag = string(in);
            long start = in.readLong();
            String trunk = string(in);
            long answer = in.readLong();
            String callerFrom = string(in);
            String callerContact = string(in);
            String callerAddress = string(in);
            String calleeTo = string(in);
            String calleeContact = string(in);
            Prepaid.Decision price = null;
            if (in.readBoolean()) {
                price = new Prepaid.Decision(in.readInt(), string(in), string(in), in.readDouble(), in.readLong());
            }
            long deadline = in.readLong();
            String callerMedia = string(in);
            String calleeMedia = string(in);
            List<String> payloads = new ArrayList<>();
            for (int j = 0, m = count(in); j < m; j++) {
                payloads.add(string(in));
            }
            if (callId == null) {
                throw new IOException("a call without a Call-ID");
            }
            calls.add(new CallTracker.Snapshot(callId, from, to, source, fromTag, start, trunk, answer, callerFrom, callerContact,
                    callerAddress, calleeTo, calleeContact, price, deadline, callerMedia, calleeMedia, List.copyOf(payloads)));
        }
        List<Prepaid.Hold> holds = new ArrayList<>();
        for (int i = 0, n = count(in); i < n; i++) {
            holds.add(new Prepaid.Hold(string(in), string(in), in.readDouble()));
        }
        List<Relayed> relay = new ArrayList<>();
        for (int i = 0, n = count(in); i < n; i++) {
            String id = string(in);
            String tag = string(in);
            int callerPort = in.readInt();
            int calleePort = in.readInt();
            boolean answered = in.readBoolean();
            long opened = in.readLong();
            String recording = string(in);
            MediaRelay.LegState[] legs = new MediaRelay.LegState[2];
            for (int j = 0; j < 2; j++) {
                InetSocketAddress sdp = address(in);
                InetSocketAddress latchedRtp = address(in);
                InetSocketAddress latchedRtcp = address(in);
                boolean expectedRtp = in.readBoolean();
                boolean expectedRtcp = in.readBoolean();
                InetAddress signalling = inet(string(in));
                long packets = in.readLong();
                long bytes = in.readLong();
                long dropped = in.readLong();
                List<org.besip.core.api.quality.RtpStream> streams = new ArrayList<>();
                for (int k = 0, m = version >= 2 ? count(in) : 0; k < m; k++) {
                    if (k >= 4) {
                        throw new IOException("more than 4 streams on a leg");
                    }
                    streams.add(org.besip.core.api.quality.RtpStream.read(in, Map.of()));
                }
                legs[j] = new MediaRelay.LegState(sdp, latchedRtp, latchedRtcp, expectedRtp, expectedRtcp, signalling, packets, bytes, dropped,
                        List.copyOf(streams));
            }
            if (id == null) {
                throw new IOException("a relay session without a Call-ID");
            }
            relay.add(new Relayed(new MediaRelay.SessionState(id, callerPort, calleePort, answered, opened, recording, legs[0], legs[1]), tag));
        }
        List<TrunkRegistration.Held> trunks = new ArrayList<>();
        for (int i = 0, n = count(in); i < n; i++) {
            String trunk = string(in);
            InetSocketAddress provider = address(in);
            String user = string(in);
            String domain = string(in);
            int expires = in.readInt();
            String callId = string(in);
            if (trunk == null || provider == null || user == null || domain == null || callId == null) {
                throw new IOException("a trunk registration without its trunk, provider, account or Call-ID");
            }
            trunks.add(new TrunkRegistration.Held(new TrunkRegistration.Account(trunk, provider, user, null, domain, expires), callId,
                    in.readLong(), in.readLong(), in.readLong()));
        }
        List<B2bua.DialogState> dialogs = new ArrayList<>();
        for (int i = 0, n = version >= 2 ? count(in) : 0; i < n; i++) {
            String key = string(in);
            String callerTag = string(in);
            long start = in.readLong();
            String callee = string(in);
            boolean callerHolds = in.readBoolean();
            boolean calleeHolds = in.readBoolean();
            boolean timerAsked = in.readBoolean();
            boolean timerSupported = in.readBoolean();
            long limitAt = in.readLong();
            List<String> names = strings(in);
            B2bua.LegState[] legs = new B2bua.LegState[2];
            for (int j = 0; j < 2; j++) {
                String callId = string(in);
                String local = string(in);
                String remote = string(in);
                String localTag = string(in);
                String remoteTag = string(in);
                String target = string(in);
                List<String> route = strings(in);
                InetSocketAddress next = address(in);
                boolean stream = in.readBoolean();
                long cseq = in.readLong();
                long remoteCseq = in.readLong();
                long inviteCseq = in.readLong();
                boolean allowsUpdate = in.readBoolean();
                if (callId == null || local == null || remote == null || next == null) {
                    throw new IOException("a B2BUA leg without its Call-ID, From, To or peer");
                }
                legs[j] = new B2bua.LegState(callId, local, remote, localTag, remoteTag, target, route, next, stream, cseq, remoteCseq,
                        inviteCseq, allowsUpdate, bytes(in), bytes(in), bytes(in));
            }
            if (key == null || names.isEmpty()) {
                throw new IOException("a B2BUA call without its key");
            }
            dialogs.add(new B2bua.DialogState(key, callerTag, start, callee, callerHolds, calleeHolds, timerAsked, timerSupported, limitAt,
                    names, legs[0], legs[1]));
        }
        List<PendingInvite> invites = new ArrayList<>();
        for (int i = 0, n = version >= 2 ? count(in) : 0; i < n; i++) {
            String key = string(in);
            byte[] request = bytes(in);
            byte[] first = bytes(in);
            InetSocketAddress upstream = address(in);
            boolean reliable = in.readBoolean();
            byte[] last = bytes(in);
            int lastStatus = in.readInt();
            List<PendingInvite.Branch> branches = new ArrayList<>();
            for (int j = 0, m = count(in); j < m; j++) {
                if (j >= 64) {
                    throw new IOException("more than 64 branches");
                }
                String bk = string(in);
                byte[] br = bytes(in);
                InetSocketAddress next = address(in);
                boolean stream = in.readBoolean();
                int status = in.readInt();
                boolean pending = in.readBoolean();
                if (bk == null || br == null || next == null) {
                    throw new IOException("a branch without its key, request or next hop");
                }
                branches.add(new PendingInvite.Branch(bk, br, next, stream, status, pending));
            }
            if (key == null || request == null || first == null || upstream == null) {
                throw new IOException("an INVITE without its key, request or caller");
            }
            invites.add(new PendingInvite(key, request, first, upstream, reliable, last, lastStatus, List.copyOf(branches)));
        }
        if (in.available() > 0) {
            throw new IOException(in.available() + " bytes after the state");
        }
        return new PbxState(dialog, nonce, counts, calls, holds, relay, trunks, dialogs, invites);
    }

    private static int count(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_ENTRIES) {
            throw new IOException("a count of " + n);
        }
        return n;
    }

    private static void address(DataOutputStream out, InetSocketAddress a) throws IOException {
        string(out, a == null ? null : a.getAddress().getHostAddress());
        if (a != null) {
            out.writeInt(a.getPort());
        }
    }

    private static InetSocketAddress address(DataInputStream in) throws IOException {
        InetAddress host = inet(string(in));
        return host == null ? null : new InetSocketAddress(host, in.readInt());
    }

    /** An address literal as written (never a name: nothing is looked up). */
    private static InetAddress inet(String literal) throws IOException {
        if (literal == null) {
            return null;
        }
        if (!literal.matches("[0-9.]+|[0-9a-fA-F:.%]+")) {
            throw new IOException("not an address literal: " + literal);
        }
        return InetAddress.getByName(literal);
    }

    private static void strings(DataOutputStream out, List<String> l) throws IOException {
        List<String> list = l == null ? List.of() : l;
        out.writeInt(list.size());
        for (String x : list) {
            string(out, x);
        }
    }

    private static List<String> strings(DataInputStream in) throws IOException {
        List<String> l = new ArrayList<>();
        for (int i = 0, n = count(in); i < n; i++) {
            String x = string(in);
            if (x == null) {
                throw new IOException("a missing string in a list");
            }
            l.add(x);
        }
        return List.copyOf(l);
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b == null ? -1 : b.length);
        if (b != null) {
            out.write(b);
        }
    }

    private static byte[] bytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n == -1) {
            return null;
        }
        if (n < 0 || n > MAX_BYTES) {
            throw new IOException("a message of " + n + " bytes");
        }
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new IOException("truncated message");
        }
        return b;
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    private static String string(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }
}
