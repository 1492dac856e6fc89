package org.besip.pbx.internal.component;

import java.io.IOException;
import java.sql.SQLException;
import java.util.List;

import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.config.ConfigTree;
import org.besip.core.api.config.ModuleRpc;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** The besip-pbx RPCs: export-cdrs (the CDRs of a period as CSV) and top-up (a prepaid user's credit). */
@Component(service = ModuleRpc.class, property = { ModuleRpc.NAMESPACE + "=" + PbxSettings.NS, ModuleRpc.NAMES + "=export-cdrs",
        ModuleRpc.NAMES + "=top-up" })
public class PbxRpcs implements ModuleRpc {

    private static final String NS = PbxSettings.NS;
    private static final ConfigTree TREE = new ConfigTree(NS);

    @Reference
    private PbxView pbx;

    @Override
    public List<Element> invoke(String name, Element input, Document reply) throws ConfigRejectedException {
        if (name.equals("top-up")) {
            return topUp(input, reply);
        }
        if (!name.equals("export-cdrs")) {
            throw new ConfigRejectedException(null, "besip-pbx has no RPC " + name);
        }
        long from = time(input, "from", 0);
        long to = time(input, "to", Long.MAX_VALUE);
        java.io.StringWriter csv = new java.io.StringWriter();
        try {
            pbx.cdrCsv(from, to, csv);
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("CDRs unavailable: " + e.getMessage(), e);
        }
        Element out = reply.createElementNS(NS, "csv");
        out.setTextContent(csv.toString());
        return List.of(out);
    }

    private List<Element> topUp(Element input, Document reply) throws ConfigRejectedException {
        String user = TREE.text(input, "user");
        String amount = TREE.text(input, "amount");
        if (user == null || user.isBlank()) {
            throw new ConfigRejectedException("/pbx:top-up/pbx:user", "top-up needs a user");
        }
        user = user.trim().toLowerCase(java.util.Locale.ROOT);
        if (!pbx.configured(user)) { // none until a configuration is applied
            throw new ConfigRejectedException("/pbx:top-up/pbx:user", "no user " + user + " is configured");
        }
        double value;
        try {
            value = new java.math.BigDecimal(amount == null ? "" : amount.trim()).setScale(4, java.math.RoundingMode.UNNECESSARY)
                    .doubleValue();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new ConfigRejectedException("/pbx:top-up/pbx:amount", "amount must be a number with at most 4 decimals, not '"
                    + amount + "'");
        }
        if (Math.abs(value) > 1_000_000) {
            throw new ConfigRejectedException("/pbx:top-up/pbx:amount", "amount must be between -1000000 and 1000000");
        }
        double credit;
        try {
            credit = pbx.topUp(user, value);
        } catch (Exception e) {
            throw new IllegalStateException("credit not saved: " + e.getMessage(), e);
        }
        Element out = reply.createElementNS(NS, "credit");
        out.setTextContent(new java.math.BigDecimal(credit).setScale(4, java.math.RoundingMode.HALF_EVEN).toPlainString());
        return List.of(out);
    }

    private static long time(Element input, String leaf, long absent) throws ConfigRejectedException {
        String v = TREE.text(input, leaf);
        if (v == null || v.isBlank()) {
            return absent;
        }
        try {
            return java.time.OffsetDateTime.parse(v.trim()).toInstant().toEpochMilli();
        } catch (java.time.format.DateTimeParseException e) {
            throw new ConfigRejectedException("/pbx:export-cdrs/pbx:" + leaf, leaf + " must be an RFC 3339 date-time such as"
                    + " 2026-11-26T08:00:00Z, not '" + v.trim() + "'");
        }
    }
}
