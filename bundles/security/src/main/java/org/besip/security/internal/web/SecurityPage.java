package org.besip.security.internal.web;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.apache.felix.webconsole.servlet.AbstractServlet;
import org.apache.felix.webconsole.servlet.ServletConstants;
import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.web.RequestChecks;
import org.besip.security.internal.block.Blocklist;
import org.besip.security.internal.block.SecurityStore;
import org.besip.security.internal.component.SecurityView;
import org.besip.security.internal.engine.Engine;
import org.besip.security.internal.rules.RuleParser;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.owasp.encoder.Encode;

/**
 * The Web Console page "Security" ({@code /system/console/besip-security}): active blocks with the
 * time left and an unblock button, a form to block an address by hand, the recent alerts, the hit
 * counts per rule, and the problems of the rule files.
 */
@Component(service = Servlet.class, property = {
        ServletConstants.PLUGIN_LABEL + "=" + SecurityPage.LABEL,
        ServletConstants.PLUGIN_TITLE + "=Security",
        ServletConstants.PLUGIN_CATEGORY + "=besip" })
public class SecurityPage extends AbstractServlet {

    static final String LABEL = "besip-security";
    private static final long serialVersionUID = 1L;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    @Reference
    private transient SecurityView security;

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!RequestChecks.sameOrigin(req.getHeader("Origin"), req.getHeader("Host"))) {
            resp.sendError(HttpServletResponse.SC_FORBIDDEN, "cross-site request refused (Origin does not match Host)");
            return;
        }
        String action = req.getParameter("action");
        String address = req.getParameter("address");
        if (address == null || address.isBlank()) {
            resp.sendError(HttpServletResponse.SC_BAD_REQUEST, "address is required");
            return;
        }
        try {
            if ("block".equals(action)) {
                long seconds;
                try {
                    String d = req.getParameter("duration");
                    seconds = d == null || d.isBlank() ? 600 : Long.parseLong(d.trim());
                } catch (NumberFormatException e) {
                    resp.sendError(HttpServletResponse.SC_BAD_REQUEST, "duration must be a number of seconds");
                    return;
                }
                security.blockByHand(address.trim(), seconds, req.getParameter("reason"), null);
            } else if ("unblock".equals(action)) {
                security.unblockByHand(address.trim(), null);
            } else {
                resp.sendError(HttpServletResponse.SC_BAD_REQUEST, "action must be block or unblock");
                return;
            }
        } catch (ConfigRejectedException e) {
            resp.sendRedirect(LABEL + "?error=" + URLEncoder.encode(e.getMessage(), StandardCharsets.UTF_8));
            return;
        }
        resp.sendRedirect(LABEL);
    }

    @Override
    public void renderContent(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        PrintWriter out = resp.getWriter();
        long now = System.currentTimeMillis();
        out.println("<div id='besip-security'>");
        out.println(org.besip.core.api.web.ConfigLinks.paragraph("besip-security-configure", "/besip-security:security",
                "rules, whitelist, soft faults, e-mail alerts"));
        String error = req.getParameter("error");
        if (error != null) {
            out.println("<p class='ui-state-error' id='besip-security-error'>" + Encode.forHtml(error) + "</p>");
        }
        List<Blocklist.Block> active = security.activeBlocks(now);
        out.println("<h2>Blocked (" + active.size() + ")</h2>");
        out.println("<p>Enforced in " + ("none".equals(security.firewallName()) ? "the application" : "the application and "
                + Encode.forHtml(security.firewallName())) + "; " + security.dropped() + " messages dropped since start.</p>");
        for (String problem : security.hostProblems()) {
            out.println("<p class='statline ui-state-error besip-security-problem'>" + Encode.forHtml(problem) + "</p>");
        }
        out.println("<table class='nicetable' id='besip-security-blocks'><thead><tr><th>Address</th><th>Since (UTC)</th><th>Time left</th>"
                + "<th>Reason</th><th>sid</th><th></th></tr></thead><tbody>");
        for (Blocklist.Block b : active) {
            String left = b.untilMs() == 0 ? "until unblocked" : left((b.untilMs() - now + 999) / 1000);
            out.println("<tr><td class='address'>" + Encode.forHtml(b.address().getHostAddress()) + "</td><td>"
                    + TIME.format(Instant.ofEpochMilli(b.sinceMs())) + "</td><td class='left'>" + left + "</td><td>" + Encode.forHtml(b.reason())
                    + "</td><td>" + b.sid() + "</td><td><form method='post' action='" + LABEL + "'><input type='hidden' name='action' "
                    + "value='unblock'><input type='hidden' name='address' value='" + Encode.forHtmlAttribute(b.address().getHostAddress())
                    + "'><button type='submit'>Unblock</button></form></td></tr>");
        }
        out.println("</tbody></table>");
        out.println("<form method='post' action='" + LABEL + "' id='besip-security-block'><input type='hidden' name='action' value='block'>"
                + "Block <input name='address' placeholder='address' required> for <input name='duration' value='600' size='8'> s "
                + "(0: until unblocked), reason <input name='reason'> <button type='submit'>Block</button></form>");
        out.println("<h2>Recent alerts</h2>");
        out.println("<table class='nicetable' id='besip-security-alerts'><thead><tr><th>Time (UTC)</th><th>sid</th><th>Message</th>"
                + "<th>Class</th><th>Source</th><th>Destination</th><th>Action</th></tr></thead><tbody>");
        try {
            for (SecurityStore.Alert a : security.recentAlerts(50)) {
                out.println("<tr><td>" + TIME.format(Instant.ofEpochMilli(a.atMs())) + "</td><td>" + a.sid() + "</td><td>"
                        + Encode.forHtml(String.valueOf(a.msg())) + "</td><td>" + Encode.forHtml(String.valueOf(a.classtype())) + "</td><td>"
                        + Encode.forHtml(String.valueOf(a.source())) + "</td><td>" + Encode.forHtml(String.valueOf(a.destination()))
                        + "</td><td>" + Encode.forHtml(String.valueOf(a.action())) + "</td></tr>");
            }
        } catch (SQLException e) {
            out.println("<tr><td colspan='7' class='ui-state-error'>alerts unavailable: " + Encode.forHtml(e.getMessage()) + "</td></tr>");
        }
        out.println("</tbody></table>");
        out.println("<h2>Rules</h2>");
        out.println("<table class='nicetable' id='besip-security-rules'><thead><tr><th>sid</th><th>Message</th><th>Action</th>"
                + "<th>Matches</th><th>Alerts</th><th>Block</th><th>From</th></tr></thead><tbody>");
        for (Engine.Stats s : security.ruleStats()) {
            out.println("<tr><td>" + s.rule().sid() + "</td><td>" + Encode.forHtml(s.rule().msg()) + "</td><td>"
                    + s.rule().action().name().toLowerCase() + "</td><td class='matches'>" + s.matches() + "</td><td class='events'>"
                    + s.events() + "</td><td>" + (s.rule().fwsam() == null ? "" : (s.rule().fwsam().src() ? "src " : "dst ")
                            + (s.rule().fwsam().seconds() == 0 ? "until unblocked" : left(s.rule().fwsam().seconds())))
                    + "</td><td>" + Encode.forHtml(s.rule().origin()) + "</td></tr>");
        }
        out.println("</tbody></table>");
        List<RuleParser.Problem> problems = security.problems();
        if (!problems.isEmpty()) {
            out.println("<h2>Rules that did not load</h2><ul id='besip-security-problems'>");
            for (RuleParser.Problem p : problems) {
                out.println("<li>" + Encode.forHtml(p.toString()) + "</li>");
            }
            out.println("</ul>");
        }
        out.println("</div>");
    }

    static String left(long seconds) {
        if (seconds >= 3600) {
            return seconds / 3600 + " h " + seconds % 3600 / 60 + " min";
        }
        return seconds >= 60 ? seconds / 60 + " min " + seconds % 60 + " s" : seconds + " s";
    }
}
