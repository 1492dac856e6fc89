package org.besip.monitoring.internal.component;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.quality.CodecImpairment;
import org.besip.core.api.quality.ImpairmentTable;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/** besip-monitoring configuration, read from its validated YANG subtree (defaults filled in). */
record Settings(boolean enabled, List<String> interfaces, boolean heuristic, int idleTimeoutS, int networkDelayMs, double advantage,
        ImpairmentTable impairments, long maxStreams, int maxAgeDays, boolean zabbix, int zabbixPort,
        Set<InetAddress> zabbixServers) {

    static final String NS = "urn:besip:params:xml:ns:yang:besip-monitoring";

    static Settings defaults() {
        return new Settings(false, List.of("any"), true, 5, 20, 0, ImpairmentTable.defaults(true), 100_000, 90, true, 10050,
                Set.of(InetAddress.getLoopbackAddress()));
    }

    static Settings from(Element data) throws ConfigRejectedException {
        Element m = child(data, "monitoring");
        if (m == null) {
            return defaults();
        }
        List<String> ifs = texts(m, "interface");
        boolean plc = !"false".equals(text(m, "packet-loss-concealment", "true"));
        Map<String, CodecImpairment> codecs = new HashMap<>();
        ImpairmentTable base = ImpairmentTable.defaults(plc);
        for (String c : List.of("PCMU", "PCMA", "G729", "G723", "GSM", "GSM-EFR", "AMR")) {
            base.find(c).ifPresent(ci -> codecs.put(c, ci));
        }
        for (Node n = m.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && "codec".equals(e.getLocalName())) {
                String name = text(e, "name", null);
                String bpl = text(e, "bpl", null);
                codecs.put(name, new CodecImpairment(name, Double.parseDouble(text(e, "ie", "0")),
                        bpl == null ? null : Double.valueOf(bpl)));
            }
        }
        Element history = child(m, "history");
        Element zabbix = child(m, "zabbix");
        Set<InetAddress> servers = new LinkedHashSet<>();
        for (String s : zabbix == null ? List.<String>of() : texts(zabbix, "server")) {
            try {
                servers.add(InetAddress.getByName(s));
            } catch (UnknownHostException e) {
                throw new ConfigRejectedException("/besip-monitoring:monitoring/zabbix/server", "\"" + s + "\" is not an address");
            }
        }
        if (servers.isEmpty()) {
            servers.add(InetAddress.getLoopbackAddress());
        }
        return new Settings("true".equals(text(m, "enabled", "false")), ifs.isEmpty() ? List.of("any") : ifs,
                !"false".equals(text(m, "heuristic", "true")), Integer.parseInt(text(m, "idle-timeout", "5")), Integer.parseInt(text(m, "network-delay", "20")),
                Double.parseDouble(text(m, "advantage", "0")), new ImpairmentTable(codecs),
                history == null ? 100_000 : Long.parseLong(text(history, "max-streams", "100000")),
                history == null ? 90 : Integer.parseInt(text(history, "max-age", "90")),
                zabbix == null || !"false".equals(text(zabbix, "enabled", "true")),
                zabbix == null ? 10050 : Integer.parseInt(text(zabbix, "port", "10050")), servers);
    }

    private static Element child(Element e, String name) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && name.equals(c.getLocalName()) && NS.equals(c.getNamespaceURI())) {
                return c;
            }
        }
        return null;
    }

    private static String text(Element e, String name, String fallback) {
        Element c = child(e, name);
        return c == null ? fallback : c.getTextContent().trim();
    }

    private static List<String> texts(Element e, String name) {
        List<String> out = new ArrayList<>();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && name.equals(c.getLocalName()) && NS.equals(c.getNamespaceURI())) {
                out.add(c.getTextContent().trim());
            }
        }
        return out;
    }
}
