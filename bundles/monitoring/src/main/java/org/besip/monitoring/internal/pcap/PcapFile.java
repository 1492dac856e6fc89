package org.besip.monitoring.internal.pcap;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.besip.core.api.quality.RtpAnalyzer;

/**
 * Reads a pcap or pcapng file and feeds every UDP datagram to an {@link RtpAnalyzer}: the same
 * analyser live capture uses.
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
     * Reads {@code file} ({@link PcapReader}: no libpcap needed) into {@code analyzer}.
     *
     * @throws PcapException when the file cannot be opened as a capture at all
     */
    public static Result read(Path file, RtpAnalyzer analyzer) throws PcapException {
        if (!Files.isReadable(file)) {
            throw new PcapException(file + ": cannot read the file");
        }
        return PcapReader.read(file, analyzer);
    }
}
