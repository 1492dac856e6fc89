package org.besip.monitoring.internal.component;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.config.ConfigTree;
import org.besip.core.api.quality.CodecImpairment;
import org.besip.core.api.quality.ImpairmentTable;
import org.w3c.dom.Element;

/** besip-monitoring configuration, read from its validated YANG subtree (defaults filled in). */
record Settings(boolean enabled, List<String> interfaces, boolean heuristic, int idleTimeoutS, int networkDelayMs, double advantage,
        ImpairmentTable impairments, long maxStreams, int maxAgeDays, boolean zabbix, int zabbixPort,
        Set<InetAddress> zabbixServers) {

    static final String NS = "urn:besip:params:xml:ns:yang:besip-monitoring";

    /** What runs before the first configuration arrives: capture off. */
    static Settings defaults() {
        return new Settings(false, List.of("any"), true, 5, 20, 0, ImpairmentTable.defaults(true), 100_000, 90, true, 10050,
                Set.of(InetAddress.getLoopbackAddress()));
    }

    private static final ConfigTree TREE = new ConfigTree(NS);

    /** Reads {@code data}; every default is the YANG module's, filled in before prepare (none is repeated here). */
    static Settings from(Element data) throws ConfigRejectedException {
        Element m = TREE.child(data, "monitoring");
        if (m == null) {
            throw new IllegalArgumentException("no monitoring container: the schema's defaults were not filled in");
        }
        List<String> ifs = texts(m, "interface");
        Map<String, CodecImpairment> codecs = new HashMap<>();
        ImpairmentTable base = ImpairmentTable.defaults(TREE.bool(m, "packet-loss-concealment"));
        for (String c : List.of("PCMU", "PCMA", "G729", "G723", "GSM", "GSM-EFR", "AMR")) {
            base.find(c).ifPresent(ci -> codecs.put(c, ci));
        }
        for (Element e : TREE.children(m, "codec")) {
            String name = TREE.required(e, "name");
            String bpl = TREE.text(e, "bpl");
            codecs.put(name, new CodecImpairment(name, Double.parseDouble(TREE.required(e, "ie")), bpl == null ? null : Double.valueOf(bpl)));
        }
        Element history = TREE.child(m, "history");
        Element zabbix = TREE.child(m, "zabbix");
        Set<InetAddress> servers = new LinkedHashSet<>();
        for (String s : texts(zabbix, "server")) {
            try {
                servers.add(InetAddress.getByName(s));
            } catch (UnknownHostException e) {
                throw new ConfigRejectedException("/besip-monitoring:monitoring/zabbix/server", "\"" + s + "\" is not an address");
            }
        }
        if (servers.isEmpty()) {
            servers.add(InetAddress.getLoopbackAddress());
        }
        return new Settings(TREE.bool(m, "enabled"), ifs.isEmpty() ? List.of("any") : ifs, TREE.bool(m, "heuristic"),
                TREE.integer(m, "idle-timeout"), TREE.integer(m, "network-delay"), Double.parseDouble(TREE.required(m, "advantage")),
                new ImpairmentTable(codecs), TREE.number(history, "max-streams"), TREE.integer(history, "max-age"),
                TREE.bool(zabbix, "enabled"), TREE.integer(zabbix, "port"), servers);
    }

    private static List<String> texts(Element e, String name) {
        return TREE.children(e, name).stream().map(c -> c.getTextContent().trim()).toList();
    }
}
