package org.besip.monitoring.internal.pcap;

import java.util.HashMap;
import java.util.Map;

import org.besip.core.api.quality.RtpAnalyzer;

/**
 * One captured frame, from its link-layer header down to the UDP payload, in place: no packet
 * objects, no copies. Offline reading ({@link PcapReader}) and live capture share it.
 *
 * <p>Link types (tcpdump.org's LINKTYPE_ numbers): Ethernet with up to three 802.1Q/802.1ad tags,
 * Linux cooked v1 and v2 (capture on "any"), raw IP, and BSD loopback in either byte order. IPv4
 * (the datagram's total length trims Ethernet padding and FCS) and IPv6 (hop-by-hop, routing,
 * destination-options and fragment headers walked). A fragment other than a whole datagram is
 * left out: RTP fits a packet, and reassembly would need state keyed by remote input.
 *
 * <p>Address text is cached per decoder (bounded: cleared past {@link #MAX_ADDRESSES}), so that a
 * stream's packets share their strings instead of formatting one per packet.
 */
public final class FrameDecoder {

    public static final int ETHERNET = 1;
    public static final int NULL = 0;
    public static final int RAW = 101;
    public static final int RAW_BSD = 12;
    public static final int RAW_OPENBSD = 14;
    public static final int LOOP = 108;
    public static final int LINUX_SLL = 113;
    public static final int IPV4 = 228;
    public static final int IPV6 = 229;
    public static final int LINUX_SLL2 = 276;

    static final int MAX_ADDRESSES = 65_536;

    private final Map<Integer, String> v4 = new HashMap<>();
    private final Map<V6, String> v6 = new HashMap<>();

    private record V6(long high, long low) {
    }

    // the datagram found by the last successful decode
    private String srcIp;
    private String dstIp;
    private int srcPort;
    private int dstPort;
    private int payloadOff;
    private int payloadLen;

    /** Whether {@code linkType} is one this decoder reads. */
    public static boolean supported(int linkType) {
        return switch (linkType) {
            case ETHERNET, NULL, RAW, RAW_BSD, RAW_OPENBSD, LOOP, LINUX_SLL, IPV4, IPV6, LINUX_SLL2 -> true;
            default -> false;
        };
    }

    /**
     * Finds the UDP datagram in frame {@code b[off, off+len)} of {@code linkType}; hands its payload
     * to {@code analyzer} at {@code time} and says true, or says false when the frame holds none.
     */
    public boolean feed(int linkType, byte[] b, int off, int len, double time, RtpAnalyzer analyzer) {
        if (!decode(linkType, b, off, len)) {
            return false;
        }
        analyzer.datagram(srcIp, srcPort, dstIp, dstPort, b, payloadOff, payloadLen, time);
        return true;
    }

    /** Finds the UDP datagram in the frame; the accessors then describe it. Never throws on bad input. */
    boolean decode(int linkType, byte[] b, int off, int len) {
        int end = off + len;
        switch (linkType) {
            case ETHERNET -> {
                int p = off + 12;
                for (int tags = 0; tags <= 3; tags++) {
                    if (p + 2 > end) {
                        return false;
                    }
                    int type = u16(b, p);
                    if (type == 0x8100 || type == 0x88A8 || type == 0x9100) {
                        p += 4;
                        continue;
                    }
                    return ether(type, b, p + 2, end);
                }
                return false;
            }
            case LINUX_SLL -> {
                return off + 16 <= end && ether(u16(b, off + 14), b, off + 16, end);
            }
            case LINUX_SLL2 -> {
                return off + 20 <= end && ether(u16(b, off), b, off + 20, end);
            }
            case RAW, RAW_BSD, RAW_OPENBSD -> {
                return len > 0 && ip(b, off, end);
            }
            case IPV4 -> {
                return ipv4(b, off, end);
            }
            case IPV6 -> {
                return ipv6(b, off, end);
            }
            case NULL, LOOP -> {
                // the address family, in the capturing host's byte order (NULL) or network order (LOOP);
                // IPv6's number differs between systems, so the IP version nibble decides
                return len > 4 && ip(b, off + 4, end);
            }
            default -> {
                return false;
            }
        }
    }

    private boolean ether(int type, byte[] b, int p, int end) {
        return switch (type) {
            case 0x0800 -> ipv4(b, p, end);
            case 0x86DD -> ipv6(b, p, end);
            default -> false;
        };
    }

    private boolean ip(byte[] b, int p, int end) {
        return switch ((b[p] & 0xF0) >>> 4) {
            case 4 -> ipv4(b, p, end);
            case 6 -> ipv6(b, p, end);
            default -> false;
        };
    }

    private boolean ipv4(byte[] b, int p, int end) {
        if (p + 20 > end || (b[p] & 0xF0) != 0x40) {
            return false;
        }
        int ihl = (b[p] & 0x0F) * 4;
        int total = u16(b, p + 2);
        if (ihl < 20 || total < ihl || b[p + 9] != 17) {
            return false;
        }
        // more fragments, or not the first: not a whole datagram
        if ((u16(b, p + 6) & 0x3FFF) != 0) {
            return false;
        }
        int limit = Math.min(end, p + total);
        if (!udp(b, p + ihl, limit)) {
            return false;
        }
        int src = s32(b, p + 12);
        int dst = s32(b, p + 16);
        srcIp = v4(src);
        dstIp = v4(dst);
        return true;
    }

    private boolean ipv6(byte[] b, int p, int end) {
        if (p + 40 > end || (b[p] & 0xF0) != 0x60) {
            return false;
        }
        int limit = Math.min(end, p + 40 + u16(b, p + 4));
        int next = b[p + 6] & 0xFF;
        int q = p + 40;
        for (int hops = 0; hops < 8; hops++) {
            switch (next) {
                case 17 -> {
                    if (!udp(b, q, limit)) {
                        return false;
                    }
                    srcIp = v6(b, p + 8);
                    dstIp = v6(b, p + 24);
                    return true;
                }
                case 0, 43, 60 -> {
                    if (q + 8 > limit) {
                        return false;
                    }
                    next = b[q] & 0xFF;
                    q += 8 + (b[q + 1] & 0xFF) * 8;
                }
                case 44 -> {
                    if (q + 8 > limit || (u16(b, q + 2) & 0xFFF9) != 0) {
                        return false; // a fragment other than a whole datagram
                    }
                    next = b[q] & 0xFF;
                    q += 8;
                }
                default -> {
                    return false;
                }
            }
        }
        return false;
    }

    private boolean udp(byte[] b, int p, int limit) {
        if (p + 8 > limit) {
            return false;
        }
        int length = u16(b, p + 4);
        if (length < 8) {
            return false;
        }
        srcPort = u16(b, p);
        dstPort = u16(b, p + 2);
        payloadOff = p + 8;
        // what was captured of it, when the snapshot length cut the datagram
        payloadLen = Math.min(length, limit - p) - 8;
        return true;
    }

    private String v4(int a) {
        return cached(v4, a, k -> ((k >>> 24) & 0xFF) + "." + ((k >>> 16) & 0xFF) + "." + ((k >>> 8) & 0xFF) + "." + (k & 0xFF));
    }

    private String v6(byte[] b, int p) {
        return cached(v6, new V6(s64(b, p), s64(b, p + 8)), k -> {
            try {
                return java.net.InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, p, p + 16)).getHostAddress();
            } catch (java.net.UnknownHostException e) {
                throw new IllegalStateException("16 bytes are an IPv6 address", e);
            }
        });
    }

    /** The text of address {@code key}, made once; the cache is emptied when it reaches its bound. */
    private static <K> String cached(Map<K, String> cache, K key, java.util.function.Function<K, String> text) {
        String s = cache.get(key);
        if (s == null) {
            if (cache.size() >= MAX_ADDRESSES) {
                cache.clear();
            }
            s = text.apply(key);
            cache.put(key, s);
        }
        return s;
    }

    private static int u16(byte[] b, int p) {
        return ((b[p] & 0xFF) << 8) | (b[p + 1] & 0xFF);
    }

    private static int s32(byte[] b, int p) {
        return ((b[p] & 0xFF) << 24) | ((b[p + 1] & 0xFF) << 16) | ((b[p + 2] & 0xFF) << 8) | (b[p + 3] & 0xFF);
    }

    private static long s64(byte[] b, int p) {
        return ((long) s32(b, p) << 32) | (s32(b, p + 4) & 0xFFFFFFFFL);
    }

    String srcIp() {
        return srcIp;
    }

    String dstIp() {
        return dstIp;
    }

    int srcPort() {
        return srcPort;
    }

    int dstPort() {
        return dstPort;
    }

    int payloadOff() {
        return payloadOff;
    }

    int payloadLen() {
        return payloadLen;
    }
}
