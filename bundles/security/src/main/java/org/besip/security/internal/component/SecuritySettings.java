package org.besip.security.internal.component;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.config.ConfigTree;
import org.besip.security.internal.block.SoftFaults;
import org.besip.security.internal.engine.Engine;
import org.besip.security.internal.mail.SmtpClient;
import org.besip.security.internal.rules.AddressSet;
import org.besip.security.internal.rules.Rule;
import org.besip.security.internal.rules.RuleParser;
import org.w3c.dom.Element;

/**
 * The besip-security configuration as the module runs it: the rules (shipped, the operator's
 * files, the configuration's own), the whitelist, soft faults, the firewall, capture and the
 * e-mail report, read from the validated YANG subtree and checked. Pure: reads files it is given,
 * nothing else.
 */
final class SecuritySettings {

    static final String NS = "urn:besip:params:xml:ns:yang:besip-security";
    static final String SHIPPED = "besip-sip.rules";
    static final Map<String, String> DEFAULT_VARS = Map.of("EXTERNAL_NET", "any", "HOME_NET", "any", "SIP_PROXY", "any", "SIP_PORT", "any");
    private static final ConfigTree TREE = new ConfigTree(NS);

    private SecuritySettings() {
    }

    /** A configuration, read and checked. */
    record Settings(Engine engine, List<RuleParser.Problem> problems, List<AddressSet.Cidr> whitelist, SoftFaults.Policy soft,
            String firewall, int retentionDays, List<String> captureInterfaces, String captureFilter, Email email) {
    }

    /** The e-mail report's settings; null server: off. */
    record Email(boolean enabled, List<String> to, String from, SmtpClient.Server server, int intervalMin) {
        static final Email OFF = new Email(false, List.of(), "besip@localhost", null, 60);
    }

    /**
     * What {@code sec} (null: nothing configured yet) asks for, with the shipped rules (unless
     * switched off) and the operator's rule files, or why it cannot run. Problems of the shipped
     * and file rules are reported in the result, not refused; the configuration's own rules and
     * addresses are refused at their path.
     */
    static Settings read(Element sec, List<java.nio.file.Path> ruleFiles) throws ConfigRejectedException {
        Map<String, String> vars = new HashMap<>(DEFAULT_VARS);
        for (Element v : TREE.children(sec, "variable")) {
            vars.put(TREE.text(v, "name"), TREE.text(v, "value"));
        }
        List<RuleParser.Problem> problems = new ArrayList<>();
        Map<Long, Rule> rules = new LinkedHashMap<>();
        if (sec == null || TREE.bool(sec, "default-rules")) {
            RuleParser.Result shipped = new RuleParser(vars).parse(shippedRules(), SHIPPED);
            for (RuleParser.Problem p : shipped.problems()) {
                if (sec != null && p.message().startsWith("undefined variable")) {
                    throw new ConfigRejectedException("/sec:security/sec:variable", p.toString());
                }
                problems.add(p);
            }
            shipped.rules().forEach(r -> rules.put(r.sid(), r));
        }
        for (java.nio.file.Path file : ruleFiles) {
            try {
                RuleParser.Result own = new RuleParser(vars).parse(java.nio.file.Files.readString(file), file.getFileName().toString());
                problems.addAll(own.problems());
                own.rules().forEach(r -> rules.put(r.sid(), r));
            } catch (IOException | java.io.UncheckedIOException e) {
                problems.add(new RuleParser.Problem(file.getFileName().toString(), 0, 0, "cannot read: " + e.getMessage()));
            }
        }
        for (Element r : TREE.children(sec, "rule")) {
            String sid = TREE.text(r, "sid");
            String path = "/sec:security/sec:rule[sec:sid='" + sid + "']/sec:text";
            RuleParser.Result res = new RuleParser(vars).parse(TREE.text(r, "text"), "rule " + sid);
            if (!res.problems().isEmpty()) {
                throw new ConfigRejectedException(path, res.problems().get(0).toString());
            }
            if (res.rules().size() != 1) {
                throw new ConfigRejectedException(path, "one rule per entry, found " + res.rules().size());
            }
            Rule rule = res.rules().get(0);
            if (!String.valueOf(rule.sid()).equals(sid)) {
                throw new ConfigRejectedException(path, "the rule's sid is " + rule.sid() + ", its key " + sid);
            }
            rules.put(rule.sid(), rule);
        }
        List<AddressSet.Cidr> whitelist = new ArrayList<>(ownAddresses());
        for (Element w : TREE.children(sec, "whitelist")) {
            String t = w.getTextContent().trim();
            try {
                whitelist.add(AddressSet.Cidr.parse(t));
            } catch (IllegalArgumentException e) {
                throw new ConfigRejectedException("/sec:security/sec:whitelist", e.getMessage());
            }
        }
        Engine engine = new Engine(List.copyOf(rules.values()));
        if (sec == null) { // before the first configuration (the moment between activation and the first commit): rules and whitelist
            return new Settings(engine, List.copyOf(problems), whitelist, UNCONFIGURED.soft(), UNCONFIGURED.firewall(),
                    UNCONFIGURED.retentionDays(), List.of(), UNCONFIGURED.captureFilter(), Email.OFF);
        }
        // every leaf below has its default in besip-security.yang, which prepare receives filled in
        Element sf = TREE.child(sec, "soft-faults");
        SoftFaults.Policy policy = new SoftFaults.Policy(TREE.bool(sf, "enabled"), TREE.integer(sf, "failures"), TREE.integer(sf, "window"),
                TREE.number(sf, "block-duration"));
        Element cap = TREE.child(sec, "capture");
        List<String> interfaces = TREE.children(cap, "interface").stream().map(e -> e.getTextContent().trim()).toList();
        return new Settings(engine, List.copyOf(problems), whitelist, policy, TREE.required(sec, "firewall"), TREE.integer(sec, "alert-retention"),
                interfaces, TREE.required(cap, "filter"), email(TREE.child(sec, "email")));
    }

    /**
     * What runs between the module's activation and its first configuration (milliseconds: the
     * NETCONF server hands every applier its configuration as it registers): the shipped rules, no
     * capture, no report. Its figures are besip-security.yang's defaults (SecuritySettingsTest
     * holds them against the YANG module's text).
     */
    static final Settings UNCONFIGURED = new Settings(new Engine(List.of()), List.of(), List.of(), SoftFaults.Policy.DEFAULT, "auto", 30,
            List.of(), "(udp or tcp) and not dst port 5060", Email.OFF);

    private static Email email(Element e) throws ConfigRejectedException {
        List<String> to = TREE.children(e, "to").stream().map(x -> x.getTextContent().trim()).toList();
        String server = TREE.text(e, "server");
        boolean enabled = TREE.bool(e, "enabled");
        if (enabled && (server == null || to.isEmpty())) {
            throw new ConfigRejectedException("/sec:security/sec:email", "an enabled e-mail report needs a server and at least one recipient (to)");
        }
        SmtpClient.Security security = switch (TREE.required(e, "security")) {
            case "tls" -> SmtpClient.Security.TLS;
            case "none" -> SmtpClient.Security.NONE;
            default -> SmtpClient.Security.STARTTLS;
        };
        return new Email(enabled, to, TREE.required(e, "from"), server == null ? null
                : new SmtpClient.Server(server, TREE.integer(e, "port"), security, TREE.text(e, "username"), TREE.text(e, "password"), 10_000),
                TREE.integer(e, "interval"));
    }

    static String shippedRules() {
        try (InputStream in = SecuritySettings.class.getResourceAsStream("/rules/" + SHIPPED)) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** 127.0.0.1, ::1 and every address of the box's interfaces: never blocked. */
    static List<AddressSet.Cidr> ownAddresses() {
        List<AddressSet.Cidr> out = new ArrayList<>();
        out.add(AddressSet.Cidr.parse("127.0.0.1"));
        out.add(AddressSet.Cidr.parse("::1"));
        try {
            for (NetworkInterface n : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(n.getInetAddresses())) {
                    String h = a.getHostAddress();
                    int pct = h.indexOf('%');
                    out.add(AddressSet.Cidr.parse(pct < 0 ? h : h.substring(0, pct)));
                }
            }
        } catch (SocketException | IllegalArgumentException e) {
            // the configured list and the loopback still hold
        }
        return out;
    }

}
