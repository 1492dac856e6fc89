package org.besip.monitoring.internal.capture;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.besip.monitoring.internal.pcap.FrameDecoder;
import org.besip.monitoring.internal.pcap.PcapFile;
import org.besip.core.api.quality.RtpAnalyzer;
import org.pcap4j.core.BpfProgram.BpfCompileMode;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.PcapNetworkInterface.PromiscuousMode;
import org.pcap4j.core.Pcaps;
import org.pcap4j.core.RawPacketListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live capture with libpcap on the configured interfaces, one thread each, BPF filter
 * {@code udp}: every datagram goes to the shared analyser (heuristic RTP detection there).
 */
public final class LiveCapture implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LiveCapture.class);

    /** How long a capture thread rests when the interface has nothing (bounds the latency, not loss). */
    static final long POLL_MS = 5;
    /** Packets handed over per call into libpcap (one JNA call, one callback each). */
    static final int BATCH = 512;
    /**
     * The kernel's capture buffer per interface (libpcap's default is 2 MiB): what absorbs a burst
     * while the thread rests or the analyser is busy; at 25 000 packets a second of 214 bytes,
     * about 1.5 s of traffic.
     */
    static final int BUFFER_BYTES = 8 << 20;

    private final List<PcapHandle> handles = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong packets = new AtomicLong();
    private volatile boolean running = true;

    /** Opens every interface first, so that a bad name fails before anything runs. */
    public LiveCapture(List<String> interfaces, String filter, RtpAnalyzer analyzer) throws PcapNativeException {
        PcapFile.locateLibpcap();
        try {
            for (String name : interfaces) {
                PcapNetworkInterface nif = Pcaps.getDevByName(name);
                if (nif == null) {
                    throw new PcapNativeException("no interface named '" + name + "'");
                }
                PcapHandle h = new PcapHandle.Builder(nif.getName()).snaplen(65536).promiscuousMode(PromiscuousMode.NONPROMISCUOUS)
                        .timeoutMillis(200).bufferSize(BUFFER_BYTES).build();
                try {
                    h.setFilter(filter, BpfCompileMode.OPTIMIZE);
                    // on Linux a blocking read can wait forever on a quiet interface: poll instead,
                    // so that stopping never hangs
                    h.setBlockingMode(PcapHandle.BlockingMode.NONBLOCKING);
                } catch (NotOpenException e) {
                    throw new PcapNativeException(e.getMessage());
                }
                handles.add(h);
            }
        } catch (PcapNativeException | RuntimeException e) {
            close();
            throw e;
        }
        for (PcapHandle h : handles) {
            Thread t = new Thread(() -> loop(h, analyzer), "rtp-capture");
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void loop(PcapHandle h, RtpAnalyzer analyzer) {
        FrameDecoder decoder = new FrameDecoder();
        int linkType = h.getDlt().value();
        if (!FrameDecoder.supported(linkType)) {
            LOG.warn("capture on a link of type {} is not read (Ethernet, Linux cooked, raw IP and loopback are)", linkType);
            return;
        }
        // pcap_dispatch with a callback, not pcap_next_ex: the latter costs JNA two
        // native-memory objects (each with a cleaner) per packet
        RawPacketListener listener = frame -> {
            var ts = h.getTimestamp();
            double t = Math.floorDiv(ts.getTime(), 1000L) + ts.getNanos() / 1e9;
            packets.incrementAndGet();
            synchronized (analyzer) {
                decoder.feed(linkType, frame, 0, frame.length, t, analyzer);
            }
        };
        while (running) {
            try {
                if (h.dispatch(BATCH, listener) == 0) {
                    // nothing waiting: look at the running flag again shortly
                    Thread.sleep(POLL_MS);
                }
            } catch (InterruptedException | NotOpenException e) {
                return;
            } catch (PcapNativeException e) {
                if (running) {
                    LOG.warn("capture error: {}", e.getMessage());
                }
                return;
            }
        }
    }

    /** Replaces the BPF filter on every interface (call events announce new endpoints). */
    public void filter(String expression) {
        for (PcapHandle h : handles) {
            try {
                h.setFilter(expression, BpfCompileMode.OPTIMIZE);
            } catch (PcapNativeException | NotOpenException e) {
                LOG.warn("BPF filter '{}' not set: {}", expression, e.getMessage());
            }
        }
    }

    public long packets() {
        return packets.get();
    }

    /** Packets the kernel or libpcap dropped because capture could not keep up. */
    public long dropped() {
        long n = 0;
        for (PcapHandle h : handles) {
            try {
                n += h.getStats().getNumPacketsDropped();
            } catch (PcapNativeException | NotOpenException | UnsupportedOperationException e) {
                // not available for this handle
            }
        }
        return n;
    }

    @Override
    public void close() {
        running = false;
        for (Thread t : threads) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (PcapHandle h : handles) {
            h.close();
        }
    }
}
