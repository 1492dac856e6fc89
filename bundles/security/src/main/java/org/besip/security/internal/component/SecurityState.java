package org.besip.security.internal.component;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.besip.security.internal.engine.Windows;

/**
 * What the security module hands to its next version (core's {@code Handover}; its blocks are in
 * its database already), format {@value #VERSION}: the soft-fault counters and the rules'
 * detection_filter and threshold windows, so a flood or a password guesser half-way to its limit
 * does not start from zero after an upgrade. Big-endian {@link DataOutputStream} fields:
 *
 * <pre>
 * soft faults  int n, n × window
 * rules        int n, n × (long sid, 4 × (int m, m × window))   filter, threshold, and both for authenticated packets
 * window       byte[] address (4 or 16, after its length byte), long window start, int count
 * </pre>
 */
record SecurityState(List<Windows.Entry> softFaults, Map<Long, List<List<Windows.Entry>>> rules) {

    static final int VERSION = 1;
    private static final int MAX_ENTRIES = 1_000_000;

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            windows(out, softFaults);
            out.writeInt(rules.size());
            for (Map.Entry<Long, List<List<Windows.Entry>>> r : rules.entrySet()) {
                out.writeLong(r.getKey());
                for (int i = 0; i < 4; i++) {
                    windows(out, r.getValue().get(i));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @throws IOException not a format {@value #VERSION} state */
    static SecurityState decode(byte[] data) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
        List<Windows.Entry> soft = windows(in);
        Map<Long, List<List<Windows.Entry>>> rules = new LinkedHashMap<>();
        for (int i = 0, n = count(in); i < n; i++) {
            long sid = in.readLong();
            List<List<Windows.Entry>> w = new ArrayList<>();
            for (int j = 0; j < 4; j++) {
                w.add(windows(in));
            }
            rules.put(sid, w);
        }
        if (in.available() > 0) {
            throw new IOException(in.available() + " bytes after the state");
        }
        return new SecurityState(soft, rules);
    }

    private static void windows(DataOutputStream out, List<Windows.Entry> entries) throws IOException {
        out.writeInt(entries.size());
        for (Windows.Entry e : entries) {
            byte[] a = e.address().getAddress();
            out.writeByte(a.length);
            out.write(a);
            out.writeLong(e.startMs());
            out.writeInt(e.count());
        }
    }

    private static List<Windows.Entry> windows(DataInputStream in) throws IOException {
        List<Windows.Entry> out = new ArrayList<>();
        for (int i = 0, n = count(in); i < n; i++) {
            int len = in.readUnsignedByte();
            if (len != 4 && len != 16) {
                throw new IOException("an address of " + len + " bytes");
            }
            byte[] a = in.readNBytes(len);
            if (a.length != len) {
                throw new IOException("truncated");
            }
            out.add(new Windows.Entry(InetAddress.getByAddress(a), in.readLong(), in.readInt()));
        }
        return out;
    }

    private static int count(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_ENTRIES) {
            throw new IOException("a count of " + n);
        }
        return n;
    }
}
