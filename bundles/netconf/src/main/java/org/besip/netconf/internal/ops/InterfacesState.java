package org.besip.netconf.internal.ops;

import java.io.IOException;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HexFormat;

import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * ietf-interfaces operational state (RFC 7223 interfaces-state) read from the box: every network
 * interface with its type, status, MAC address and, where Linux exposes them, its counters.
 */
public final class InterfacesState implements NetconfServer.StateProvider {

    static final String IF = "urn:ietf:params:xml:ns:yang:ietf-interfaces";
    static final String IANA = "urn:ietf:params:xml:ns:yang:iana-if-type";
    private static final Path SYS_NET = Path.of("/sys/class/net");

    private final NetconfServer server;

    public InterfacesState(NetconfServer server) {
        this.server = server;
    }

    public void register() {
        server.addStateProvider(this);
    }

    @Override
    public void contribute(Element data) {
        if (server.schema().module("ietf-interfaces") == null) {
            return;
        }
        Document d = data.getOwnerDocument();
        Element state = d.createElementNS(IF, "interfaces-state");
        data.appendChild(state);
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                Element e = d.createElementNS(IF, "interface");
                state.appendChild(e);
                text(d, e, "name", ni.getName());
                Element type = text(d, e, "type", "ianaift:" + (ni.isLoopback() ? "softwareLoopback" : "ethernetCsmacd"));
                type.setAttribute("xmlns:ianaift", IANA);
                text(d, e, "admin-status", ni.isUp() ? "up" : "down");
                text(d, e, "oper-status", ni.isUp() ? "up" : "down");
                byte[] mac = ni.getHardwareAddress();
                if (mac != null && mac.length > 0) {
                    text(d, e, "phys-address", HexFormat.ofDelimiter(":").formatHex(mac));
                }
                Element stats = d.createElementNS(IF, "statistics");
                e.appendChild(stats);
                text(d, stats, "discontinuity-time", java.time.format.DateTimeFormatter.ISO_INSTANT.format(server.started));
                counter(d, stats, ni.getName(), "in-octets", "rx_bytes");
                counter(d, stats, ni.getName(), "in-unicast-pkts", "rx_packets");
                counter(d, stats, ni.getName(), "in-discards", "rx_dropped");
                counter(d, stats, ni.getName(), "in-errors", "rx_errors");
                counter(d, stats, ni.getName(), "out-octets", "tx_bytes");
                counter(d, stats, ni.getName(), "out-unicast-pkts", "tx_packets");
                counter(d, stats, ni.getName(), "out-discards", "tx_dropped");
                counter(d, stats, ni.getName(), "out-errors", "tx_errors");
            }
        } catch (SocketException e) {
            // no interface list: the container stays empty
        }
    }

    private static void counter(Document d, Element stats, String ifName, String leaf, String sysFile) {
        Path f = SYS_NET.resolve(ifName).resolve("statistics").resolve(sysFile);
        try {
            if (Files.isReadable(f)) {
                text(d, stats, leaf, Files.readString(f).trim());
            }
        } catch (IOException e) {
            // counter not available on this box
        }
    }

    private static Element text(Document d, Element parent, String name, String value) {
        Element e = d.createElementNS(IF, name);
        e.setTextContent(value);
        parent.appendChild(e);
        return e;
    }
}
