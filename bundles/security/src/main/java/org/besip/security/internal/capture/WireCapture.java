package org.besip.security.internal.capture;

import java.io.EOFException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.besip.security.internal.engine.Engine;
import org.pcap4j.core.BpfProgram.BpfCompileMode;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.PcapNetworkInterface.PromiscuousMode;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.Packet;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.packet.UdpPacket;

/**
 * The second inspection point: packets on the wire (libpcap through Pcap4J) for what the PBX never
 * sees — other ports, TCP SYN floods, the box's own answers. Each IPv4/IPv6 UDP or TCP packet the
 * BPF filter lets through becomes an {@link Engine.Packet} (with the TCP flags) for the sink, on
 * one capture thread per interface. Needs libpcap and the right to capture (root or CAP_NET_RAW).
 */
public final class WireCapture implements AutoCloseable {

    private final List<PcapHandle> handles = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong packets = new AtomicLong();
    private volatile boolean running = true;

    /** Opens every interface first, so a bad name or filter fails before anything runs. */
    public WireCapture(List<String> interfaces, String filter, Consumer<Engine.Packet> sink) throws PcapNativeException {
        libpcap();
        try {
            for (String name : interfaces) {
                PcapNetworkInterface nif = Pcaps.getDevByName(name);
                if (nif == null) {
                    throw new PcapNativeException("no interface named '" + name + "'");
                }
                PcapHandle h = nif.openLive(65536, PromiscuousMode.NONPROMISCUOUS, 100);
                handles.add(h);
                try {
                    h.setFilter(filter, BpfCompileMode.OPTIMIZE);
                    h.setBlockingMode(PcapHandle.BlockingMode.NONBLOCKING); // a blocking read can wait for ever: poll, so stopping never hangs
                } catch (NotOpenException e) {
                    throw new PcapNativeException(e.getMessage());
                }
            }
        } catch (PcapNativeException | RuntimeException e) {
            close();
            throw e;
        }
        for (PcapHandle h : handles) {
            Thread t = new Thread(() -> loop(h, sink), "security-capture");
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Points Pcap4J at Debian's libpcap.so.0.8 (it looks for an unversioned libpcap.so, which only -dev packages install). */
    static void libpcap() {
        if (System.getProperty("org.pcap4j.core.pcapLibName") == null) {
            for (String dir : List.of("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib/arm-linux-gnueabihf")) {
                if (Files.exists(Path.of(dir, "libpcap.so.0.8"))) {
                    System.setProperty("org.pcap4j.core.pcapLibName", dir + "/libpcap.so.0.8");
                    return;
                }
            }
        }
    }

    private void loop(PcapHandle h, Consumer<Engine.Packet> sink) {
        while (running) {
            try {
                Engine.Packet p = packet(h.getNextPacketEx());
                packets.incrementAndGet();
                if (p != null) {
                    sink.accept(p);
                }
            } catch (TimeoutException e) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException ie) {
                    return;
                }
            } catch (EOFException | NotOpenException | PcapNativeException e) {
                return;
            } catch (RuntimeException e) {
                // a packet Pcap4J could not take apart: the next one
            }
        }
    }

    /** The rules' view of a captured frame, or null when it is not UDP or TCP over IP. */
    static Engine.Packet packet(Packet frame) {
        InetAddress src;
        InetAddress dst;
        IpV4Packet v4 = frame.get(IpV4Packet.class);
        if (v4 != null) {
            src = v4.getHeader().getSrcAddr();
            dst = v4.getHeader().getDstAddr();
        } else {
            IpV6Packet v6 = frame.get(IpV6Packet.class);
            if (v6 == null) {
                return null;
            }
            src = v6.getHeader().getSrcAddr();
            dst = v6.getHeader().getDstAddr();
        }
        UdpPacket udp = frame.get(UdpPacket.class);
        if (udp != null) {
            byte[] data = udp.getPayload() == null ? new byte[0] : udp.getPayload().getRawData();
            return new Engine.Packet(src, udp.getHeader().getSrcPort().valueAsInt(), dst, udp.getHeader().getDstPort().valueAsInt(), "udp",
                    data, data.length, -1);
        }
        TcpPacket tcp = frame.get(TcpPacket.class);
        if (tcp != null) {
            TcpPacket.TcpHeader th = tcp.getHeader();
            int flags = (th.getFin() ? 1 : 0) | (th.getSyn() ? 2 : 0) | (th.getRst() ? 4 : 0) | (th.getPsh() ? 8 : 0) | (th.getAck() ? 16 : 0)
                    | (th.getUrg() ? 32 : 0);
            byte[] data = tcp.getPayload() == null ? new byte[0] : tcp.getPayload().getRawData();
            return new Engine.Packet(src, th.getSrcPort().valueAsInt(), dst, th.getDstPort().valueAsInt(), "tcp", data, data.length, flags);
        }
        return null;
    }

    public long packets() {
        return packets.get();
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
