package org.besip.monitoring.internal.pcap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.besip.core.api.quality.RtpAnalyzer;

/**
 * A pcap (microsecond or nanosecond, either byte order) or pcapng capture read straight from the
 * file, a window of {@link #WINDOW} bytes at a time into one heap buffer, each frame decoded where
 * it lies ({@link FrameDecoder}): one copy per byte, no object per packet, no libpcap. (Not a
 * mapping of the whole file: the pages of a mapping count in the process's resident memory until
 * the mapping is collected, which on a large capture would be the capture's size.) pcapng: every section
 * (byte order per section header), interfaces with their link type, {@code if_tsresol} and
 * {@code if_tsoffset}, enhanced, simple and obsolete packet blocks; other blocks are skipped.
 *
 * <p>Nothing in the file is trusted: a length that runs past the file or is not plausible stops
 * the reading with what was read so far and a reason ({@link PcapFile.Result#truncated()}).
 */
final class PcapReader {

    /** The largest record accepted: libpcap's own limit for a snapshot (262144) and a margin. */
    static final int MAX_RECORD = 1 << 19;
    /** How much of the file is read at once: room for the largest record and its header. */
    static final int WINDOW = 4 << 20;
    /** Interfaces per pcapng section: each needs a line in a table keyed by file input. */
    static final int MAX_INTERFACES = 1024;

    private final FileChannel channel;
    private final long size;
    private final RtpAnalyzer analyzer;
    private final FrameDecoder decoder = new FrameDecoder();
    private final byte[] buf = new byte[WINDOW];
    private final ByteBuffer view = ByteBuffer.wrap(buf);
    private long bufStart;
    private int bufLen;
    private ByteOrder order = ByteOrder.LITTLE_ENDIAN;
    private long packets;
    private double first = Double.NaN;

    private PcapReader(FileChannel channel, RtpAnalyzer analyzer) throws IOException {
        this.channel = channel;
        this.size = channel.size();
        this.analyzer = analyzer;
    }

    static PcapFile.Result read(Path file, RtpAnalyzer analyzer) throws PcapException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return new PcapReader(ch, analyzer).run(file);
        } catch (IOException e) {
            throw new PcapException(file + ": cannot read the file (" + e.getMessage() + ")");
        }
    }

    private PcapFile.Result run(Path file) throws IOException, PcapException {
        if (size < 12) {
            throw new PcapException(file + ": not a pcap or pcapng capture (" + size + " bytes)");
        }
        ByteBuffer head = window(0, 4);
        int magic = head.order(ByteOrder.BIG_ENDIAN).getInt(0);
        String stopped = switch (magic) {
            case 0xA1B2C3D4, 0xA1B23C4D -> pcap(ByteOrder.BIG_ENDIAN, magic == 0xA1B23C4D);
            case 0xD4C3B2A1, 0x4D3CB2A1 -> pcap(ByteOrder.LITTLE_ENDIAN, magic == 0x4D3CB2A1);
            case 0x0A0D0D0A -> pcapng();
            default -> throw new PcapException(file + ": not a pcap or pcapng capture (magic number 0x"
                    + String.format("%08x", magic) + ")");
        };
        return new PcapFile.Result(packets, Double.isNaN(first) ? 0 : first,
                stopped == null ? null : "stopped after packet " + packets + ": " + stopped);
    }

    /** Classic pcap; says why it stopped early, or null at the end of the file. */
    private String pcap(ByteOrder byteOrder, boolean nanos) throws IOException {
        order = byteOrder;
        if (size < 24) {
            return "the file header is cut short";
        }
        ByteBuffer h = window(0, 24);
        int linkType = h.getInt(20) & 0xFFFF; // the upper bits say whether frames carry an FCS
        if (!FrameDecoder.supported(linkType)) {
            return "link type " + linkType + " is not one besip reads";
        }
        double unit = nanos ? 1e-9 : 1e-6;
        long pos = 24;
        while (pos < size) {
            if (pos + 16 > size) {
                return "the last record header is cut short";
            }
            ByteBuffer r = window(pos, 16);
            int at = (int) (pos - bufStart);
            long sec = r.getInt(at) & 0xFFFFFFFFL;
            long frac = r.getInt(at + 4) & 0xFFFFFFFFL;
            int caplen = r.getInt(at + 8);
            if (caplen < 0 || caplen > MAX_RECORD) {
                return "a record claims " + (caplen & 0xFFFFFFFFL) + " bytes";
            }
            if (pos + 16 + caplen > size) {
                return "the last record is cut short";
            }
            window(pos, 16 + caplen);
            frame(linkType, pos + 16, caplen, sec + frac * unit);
            pos += 16 + caplen;
        }
        return null;
    }

    private static final class Interface {
        final int linkType;
        double unit = 1e-6;
        long offset;

        Interface(int linkType) {
            this.linkType = linkType;
        }
    }

    /** pcapng (draft-ietf-opsawg-pcapng); says why it stopped early, or null at the end of the file. */
    private String pcapng() throws IOException {
        Interface[] ifs = new Interface[MAX_INTERFACES];
        int nifs = 0;
        double lastTime = 0;
        long pos = 0;
        while (pos < size) {
            if (pos + 12 > size) {
                return "the last block header is cut short";
            }
            ByteBuffer r = window(pos, 12);
            int at = (int) (pos - bufStart);
            int type = r.order(ByteOrder.BIG_ENDIAN).getInt(at);
            if (type == 0x0A0D0D0A) {
                // a section header: its byte-order magic sets the order of everything up to the next
                int bom = r.getInt(at + 8);
                if (bom == 0x1A2B3C4D) {
                    order = ByteOrder.BIG_ENDIAN;
                } else if (bom == 0x4D3C2B1A) {
                    order = ByteOrder.LITTLE_ENDIAN;
                } else {
                    return "a section header has no byte-order magic";
                }
                nifs = 0;
            }
            r.order(order);
            type = r.getInt(at);
            long total = r.getInt(at + 4) & 0xFFFFFFFFL;
            if (total < 12 || total % 4 != 0 || total > MAX_RECORD + 64L) {
                return "a block claims " + total + " bytes";
            }
            if (pos + total > size) {
                return "the last block is cut short";
            }
            ByteBuffer b = window(pos, (int) total);
            at = (int) (pos - bufStart);
            int body = at + 8;
            int bodyLen = (int) total - 12;
            switch (type) {
                case 1 -> { // interface description
                    if (bodyLen < 8) {
                        return "an interface description is cut short";
                    }
                    if (nifs == MAX_INTERFACES) {
                        return "more than " + MAX_INTERFACES + " interfaces in one section";
                    }
                    Interface i = new Interface(b.getShort(body) & 0xFFFF);
                    options(b, body + 8, body + bodyLen, i);
                    ifs[nifs++] = i;
                }
                case 6, 2 -> { // enhanced packet, obsolete packet
                    if (bodyLen < 20) {
                        return "a packet block is cut short";
                    }
                    int id = type == 6 ? b.getInt(body) : b.getShort(body) & 0xFFFF;
                    long ts = ((b.getInt(body + 4) & 0xFFFFFFFFL) << 32) | (b.getInt(body + 8) & 0xFFFFFFFFL);
                    int caplen = b.getInt(body + 12);
                    if (caplen < 0 || caplen > bodyLen - 20) {
                        return "a packet block claims " + (caplen & 0xFFFFFFFFL) + " captured bytes";
                    }
                    if (id < 0 || id >= nifs) {
                        return "a packet names interface " + id + ", which is not described";
                    }
                    Interface i = ifs[id];
                    lastTime = i.offset + time(ts, i.unit);
                    if (FrameDecoder.supported(i.linkType)) {
                        frame(i.linkType, pos + 28, caplen, lastTime);
                    } else {
                        packets++;
                    }
                }
                case 3 -> { // simple packet: interface 0, no time of its own
                    if (nifs == 0) {
                        return "a simple packet block comes before any interface";
                    }
                    if (bodyLen < 4) {
                        return "a simple packet block is cut short";
                    }
                    int orig = b.getInt(body);
                    int caplen = Math.min(Math.max(orig, 0), bodyLen - 4);
                    if (FrameDecoder.supported(ifs[0].linkType)) {
                        frame(ifs[0].linkType, pos + 12, caplen, lastTime);
                    } else {
                        packets++;
                    }
                }
                default -> {
                    // section header, statistics, name resolution, custom: nothing for RTP
                }
            }
            pos += total;
        }
        return null;
    }

    /** Reads if_tsresol (9) and if_tsoffset (14) of an interface description. */
    private static void options(ByteBuffer b, int p, int end, Interface i) {
        while (p + 4 <= end) {
            int code = b.getShort(p) & 0xFFFF;
            int len = b.getShort(p + 2) & 0xFFFF;
            if (code == 0 || p + 4 + len > end) {
                return;
            }
            if (code == 9 && len >= 1) {
                int r = b.get(p + 4) & 0xFF;
                int n = r & 0x7F;
                double unit = (r & 0x80) == 0 ? Math.pow(10, -n) : Math.pow(2, -n);
                if (unit > 0 && n <= 63) {
                    i.unit = unit;
                }
            } else if (code == 14 && len >= 8) {
                i.offset = b.getLong(p + 4);
            }
            p += 4 + ((len + 3) & ~3);
        }
    }

    /** {@code ts} units of {@code unit} seconds, split so that nanosecond stamps keep their precision. */
    private static double time(long ts, double unit) {
        if (unit == 1e-6) {
            return Long.divideUnsigned(ts, 1_000_000L) + Long.remainderUnsigned(ts, 1_000_000L) * 1e-6;
        }
        if (unit == 1e-9) {
            return Long.divideUnsigned(ts, 1_000_000_000L) + Long.remainderUnsigned(ts, 1_000_000_000L) * 1e-9;
        }
        return ts * unit;
    }

    private void frame(int linkType, long at, int caplen, double time) {
        packets++;
        if (Double.isNaN(first)) {
            first = time;
        }
        decoder.feed(linkType, buf, (int) (at - bufStart), caplen, time, analyzer);
    }

    /**
     * The buffer, holding {@code [pos, pos+len)} of the file (the caller has checked that the file
     * does): reads the window that starts at {@code pos} when it does not hold them yet.
     */
    private ByteBuffer window(long pos, int len) throws IOException {
        if (pos < bufStart || pos + len > bufStart + bufLen) {
            bufStart = pos;
            bufLen = 0;
            int want = (int) Math.min(WINDOW, size - pos);
            while (bufLen < want) {
                int n = channel.read(ByteBuffer.wrap(buf, bufLen, want - bufLen), pos + bufLen);
                if (n < 0) {
                    throw new IOException("the file ended at " + (pos + bufLen) + " of " + size + " bytes while being read");
                }
                bufLen += n;
            }
        }
        return view.order(order);
    }
}
