package org.besip.monitoring.internal.pcap;

import java.io.EOFException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeoutException;

import org.besip.core.api.quality.RtpAnalyzer;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.IpPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.Packet;
import org.pcap4j.packet.UdpPacket;

/**
 * Reads a pcap or pcapng file with libpcap (through Pcap4J) and feeds every UDP datagram to an
 * {@link RtpAnalyzer}: the same analyser live capture uses.
 */
public final class PcapFile {

    /**
     * What reading a file came to: packets read, the time of the first (Unix seconds; stream
     * times are absolute), and why it stopped early if it did.
     */
    public record Result(long packets, double start, String truncated) {
    }

    private PcapFile() {
    }

    /** Makes libpcap findable where only the versioned library is installed (Debian without -dev). */
    public static void locateLibpcap() {
        if (System.getProperty("org.pcap4j.core.pcapLibName") != null) {
            return;
        }
        for (String candidate : List.of("/usr/lib/x86_64-linux-gnu/libpcap.so.0.8", "/lib/x86_64-linux-gnu/libpcap.so.0.8",
                "/usr/lib/aarch64-linux-gnu/libpcap.so.0.8", "/usr/lib/arm-linux-gnueabihf/libpcap.so.0.8",
                "/usr/lib/libpcap.so.1", "/usr/lib/libpcap.so")) {
            if (Files.exists(Path.of(candidate))) {
                System.setProperty("org.pcap4j.core.pcapLibName", candidate);
                return;
            }
        }
    }

    /**
     * @throws PcapException when the file cannot be opened as a capture at all
     */
    public static Result read(Path file, RtpAnalyzer analyzer) throws PcapException {
        locateLibpcap();
        if (!Files.isReadable(file)) {
            throw new PcapException(file + ": cannot read the file");
        }
        PcapHandle h;
        try {
            h = Pcaps.openOffline(file.toString(), PcapHandle.TimestampPrecision.NANO);
        } catch (PcapNativeException e) {
            throw new PcapException(file + ": not a pcap or pcapng capture (" + e.getMessage() + ")");
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new PcapException("libpcap is not installed (Debian: libpcap0.8): " + e.getMessage());
        }
        long n = 0;
        double first = Double.NaN;
        try {
            while (true) {
                Packet p;
                try {
                    p = h.getNextPacketEx();
                } catch (EOFException e) {
                    return new Result(n, Double.isNaN(first) ? 0 : first, null);
                } catch (TimeoutException e) {
                    continue;
                } catch (PcapNativeException e) {
                    return new Result(n, Double.isNaN(first) ? 0 : first, "stopped after packet " + n + ": " + e.getMessage());
                }
                n++;
                var ts = h.getTimestamp();
                double t = Math.floorDiv(ts.getTime(), 1000L) + ts.getNanos() / 1e9;
                if (Double.isNaN(first)) {
                    first = t;
                }
                datagram(p, t, analyzer);
            }
        } catch (NotOpenException e) {
            return new Result(n, Double.isNaN(first) ? 0 : first, "the capture was closed: " + e.getMessage());
        } finally {
            h.close();
        }
    }

    /** Hands the UDP payload of {@code p}, if it has one, to the analyser. */
    public static void datagram(Packet p, double time, RtpAnalyzer analyzer) {
        UdpPacket udp = p.get(UdpPacket.class);
        IpPacket ip = p.get(IpV4Packet.class);
        if (ip == null) {
            ip = p.get(IpV6Packet.class);
        }
        if (udp == null || ip == null || udp.getPayload() == null) {
            return;
        }
        byte[] payload = udp.getPayload().getRawData();
        analyzer.datagram(ip.getHeader().getSrcAddr().getHostAddress(), udp.getHeader().getSrcPort().valueAsInt(),
                ip.getHeader().getDstAddr().getHostAddress(), udp.getHeader().getDstPort().valueAsInt(), payload, 0,
                payload.length, time);
    }
}
