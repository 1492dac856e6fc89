package org.besip.security.internal.component;

import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.config.ConfigTree;
import org.besip.core.api.config.ModuleRpc;
import org.besip.security.internal.block.Blocklist;
import org.besip.security.internal.rules.RuleParser;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** The besip-security RPCs: block, unblock, list-blocks, send-report, reload-rules. */
@Component(service = ModuleRpc.class, property = { ModuleRpc.NAMESPACE + "=" + SecuritySettings.NS, ModuleRpc.NAMES + "=block",
        ModuleRpc.NAMES + "=unblock", ModuleRpc.NAMES + "=list-blocks", ModuleRpc.NAMES + "=send-report",
        ModuleRpc.NAMES + "=reload-rules" })
public class SecurityRpcs implements ModuleRpc {

    private static final String NS = SecuritySettings.NS;
    private static final ConfigTree TREE = new ConfigTree(NS);

    @Reference
    private SecurityView security;

    @Override
    public List<Element> invoke(String name, Element input, Document reply) throws ConfigRejectedException {
        long now = System.currentTimeMillis();
        switch (name) {
            case "block" -> {
                String d = TREE.text(input, "duration");
                long seconds;
                try {
                    seconds = d == null ? 600 : Long.parseLong(d);
                } catch (NumberFormatException e) {
                    throw new ConfigRejectedException(path("block", "duration"), "duration must be 0 to 31622400 seconds, not " + d);
                }
                security.blockByHand(TREE.text(input, "address"), seconds, TREE.text(input, "reason"), "block");
                return List.of();
            }
            case "unblock" -> {
                security.unblockByHand(TREE.text(input, "address"), "unblock");
                return List.of();
            }
            case "reload-rules" -> {
                SecurityView.Reloaded s = security.reloadRules();
                List<Element> out = new ArrayList<>();
                Element n = reply.createElementNS(NS, "rules");
                n.setTextContent(String.valueOf(s.rules()));
                out.add(n);
                for (RuleParser.Problem p : s.problems()) {
                    Element e = reply.createElementNS(NS, "problem");
                    e.setTextContent(p.toString());
                    out.add(e);
                }
                return out;
            }
            case "send-report" -> {
                int n;
                try {
                    n = security.report();
                } catch (IOException | SQLException e) {
                    throw new ConfigRejectedException("/sec:security/sec:email", "the report was not sent: " + e.getMessage());
                }
                Element out = reply.createElementNS(NS, "alerts");
                out.setTextContent(String.valueOf(n));
                return List.of(out);
            }
            case "list-blocks" -> {
                List<Element> out = new ArrayList<>();
                for (Blocklist.Block b : security.activeBlocks(now)) {
                    Element e = reply.createElementNS(NS, "block");
                    add(reply, e, "address", b.address().getHostAddress());
                    if (b.untilMs() != 0) {
                        add(reply, e, "seconds-left", String.valueOf((b.untilMs() - now + 999) / 1000));
                    }
                    add(reply, e, "reason", b.reason());
                    add(reply, e, "sid", String.valueOf(b.sid()));
                    out.add(e);
                }
                return out;
            }
            default -> throw new ConfigRejectedException(null, "besip-security has no RPC " + name);
        }
    }

    private static void add(Document d, Element parent, String name, String value) {
        Element e = d.createElementNS(NS, name);
        e.setTextContent(value);
        parent.appendChild(e);
    }

    /** The error path of an RPC's input leaf. */
    private static String path(String rpc, String leaf) {
        return "/sec:" + rpc + "/sec:" + leaf;
    }
}
