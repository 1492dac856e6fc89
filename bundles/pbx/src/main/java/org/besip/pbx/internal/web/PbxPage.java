package org.besip.pbx.internal.web;

import java.io.IOException;
import java.io.PrintWriter;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

import jakarta.servlet.Servlet;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.apache.felix.webconsole.servlet.AbstractServlet;
import org.apache.felix.webconsole.servlet.ServletConstants;
import org.besip.pbx.internal.call.CallTracker;
import org.besip.pbx.internal.call.CdrStore;
import org.besip.pbx.internal.component.PbxView;
import org.besip.pbx.internal.registrar.Binding;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.besip.core.api.web.ConfigLinks;
import org.owasp.encoder.Encode;

/**
 * The Web Console page "PBX" ({@code /system/console/besip-pbx}): registrations, calls in
 * progress, prepaid accounts and their credit, the last CDRs, and the CDRs as CSV ({@code besip-pbx.csv?from=&to=}, epoch
 * milliseconds, both optional).
 */
@Component(service = Servlet.class, property = {
        ServletConstants.PLUGIN_LABEL + "=" + PbxPage.LABEL,
        ServletConstants.PLUGIN_TITLE + "=PBX",
        ServletConstants.PLUGIN_CATEGORY + "=besip" })
public class PbxPage extends AbstractServlet {

    /** The configuration this page shows the state of. */
    static final String PBX = "/besip-pbx:pbx";

    static final String LABEL = "besip-pbx";
    static final int LAST_CDRS = 50;
    private static final long serialVersionUID = 1L;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    @Reference
    private transient PbxView pbx;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        if (req.getRequestURI().endsWith(".wav")) {
            org.besip.pbx.internal.media.Recordings recs = pbx.recordings();
            java.nio.file.Path f = recs == null ? null : recs.file(req.getParameter("f"));
            if (f == null) {
                resp.sendError(HttpServletResponse.SC_NOT_FOUND, "no such recording (f=<day>/<time>-<id>.wav, as the page lists them)");
                return;
            }
            resp.setContentType("audio/wav");
            resp.setContentLengthLong(java.nio.file.Files.size(f));
            resp.setHeader("Content-Disposition", "inline; filename=\"" + f.getFileName() + "\"");
            java.nio.file.Files.copy(f, resp.getOutputStream());
            return;
        }
        if (req.getRequestURI().endsWith(".csv")) {
            long from;
            long to;
            try {
                from = bound(req.getParameter("from"), 0);
                to = bound(req.getParameter("to"), Long.MAX_VALUE);
            } catch (NumberFormatException e) {
                resp.sendError(HttpServletResponse.SC_BAD_REQUEST, "from and to must be times in epoch milliseconds (0 or more)");
                return;
            }
            resp.setContentType("text/csv");
            resp.setCharacterEncoding("UTF-8");
            resp.setHeader("Content-Disposition", "attachment; filename=\"cdr.csv\"");
            try {
                pbx.cdrCsv(from, to, resp.getWriter());
            } catch (SQLException e) {
                resp.reset();
                resp.sendError(HttpServletResponse.SC_INTERNAL_SERVER_ERROR, "CDRs unavailable: " + e.getMessage());
            }
            return;
        }
        super.doGet(req, resp);
    }

    static long bound(String v, long absent) {
        if (v == null || v.isBlank()) {
            return absent;
        }
        long n = Long.parseLong(v.trim());
        if (n < 0) {
            throw new NumberFormatException();
        }
        return n;
    }

    @Override
    public void renderContent(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        PrintWriter out = resp.getWriter();
        long now = System.currentTimeMillis();
        out.println("<div id='besip-pbx'>");
        out.println(ConfigLinks.paragraph("besip-pbx-configure", PBX, "users, trunks, dial plan, media relay"));
        List<Binding> regs = pbx.registrations(now);
        out.println("<h2>Registrations (" + regs.size() + ")</h2>");
        out.println("<table class='nicetable' id='besip-pbx-registrations'><thead><tr><th>User</th><th>Contact</th>"
                + "<th>Expires in s</th><th>User agent</th><th>Source</th></tr></thead><tbody>");
        for (Binding b : regs) {
            out.println("<tr><td><a href='" + ConfigLinks.entry(PBX, "user", "name", b.aor()) + "'>" + Encode.forHtml(b.aor())
                    + "</a></td><td>" + Encode.forHtml(b.contact()) + "</td><td>"
                    + (b.expiresAtMs() - now) / 1000 + "</td><td>" + Encode.forHtml(String.valueOf(b.userAgent())) + "</td><td>"
                    + Encode.forHtml(String.valueOf(b.source())) + "</td></tr>");
        }
        out.println("</tbody></table>");
        List<Binding> fleet = pbx.fleetRegistrations(now);
        if (!fleet.isEmpty()) {
            out.println("<h2>Registered through other boxes of the fleet (" + fleet.size() + ")</h2>");
            out.println("<table class='nicetable' id='besip-pbx-fleet'><thead><tr><th>User</th><th>Contact</th>"
                    + "<th>Expires in s</th><th>Source</th></tr></thead><tbody>");
            for (Binding b : fleet) {
                out.println("<tr><td>" + Encode.forHtml(b.aor()) + "</td><td>" + Encode.forHtml(b.contact()) + "</td><td>"
                        + (b.expiresAtMs() - now) / 1000 + "</td><td>" + Encode.forHtml(String.valueOf(b.source())) + "</td></tr>");
            }
            out.println("</tbody></table>");
        }
        List<CallTracker.Active> calls = pbx.callsInProgress();
        out.println("<h2>Calls in progress (" + calls.size() + ")</h2>");
        out.println("<table class='nicetable' id='besip-pbx-calls'><thead><tr><th>Started (UTC)</th><th>From</th><th>To</th>"
                + "<th>State</th></tr></thead><tbody>");
        for (CallTracker.Active c : calls) {
            out.println("<tr><td>" + TIME.format(Instant.ofEpochMilli(c.startMs())) + "</td><td>" + Encode.forHtml(String.valueOf(c.from()))
                    + "</td><td>" + Encode.forHtml(String.valueOf(c.to())) + "</td><td>"
                    + (c.answerMs() > 0 ? "answered " + (now - c.answerMs()) / 1000 + " s ago" : "ringing") + "</td></tr>");
        }
        out.println("</tbody></table>");
        if (pbx.relayCapacity() > 0) {
            List<org.besip.pbx.internal.media.MediaRelay.Session> relayed = pbx.relaySessions();
            out.println("<h2>Media relay (" + relayed.size() + " of " + pbx.relayCapacity() + " calls)</h2>");
            out.println("<table class='nicetable' id='besip-pbx-media'><thead><tr><th>Call-ID</th><th>Caller at</th><th>RTP from caller</th>"
                    + "<th>Callee at</th><th>RTP from callee</th><th>Dropped</th><th>Music on hold (frames to caller, callee)</th></tr>"
                    + "</thead><tbody>");
            for (var m : relayed) {
                out.println("<tr><td>" + Encode.forHtml(m.id()) + "</td><td>" + Encode.forHtml(String.valueOf(m.caller().latched()))
                        + "</td><td class='caller-packets'>" + m.caller().received().packets() + "</td><td>"
                        + Encode.forHtml(String.valueOf(m.callee().latched())) + "</td><td class='callee-packets'>" + m.callee().received().packets()
                        + "</td><td>" + (m.caller().received().dropped() + m.callee().received().dropped()) + "</td><td class='music'>"
                        + m.caller().musicFrames() + ", " + m.callee().musicFrames() + "</td></tr>");
            }
            out.println("</tbody></table>");
        }
        org.besip.pbx.internal.media.Recordings recs = pbx.recordings();
        List<org.besip.pbx.internal.media.Recordings.Entry> recorded = recs == null ? List.of() : recs.list();
        out.println("<h2>Recordings (" + recorded.size() + ")</h2>");
        out.println("<table class='nicetable' id='besip-pbx-recordings'><thead><tr><th>Recording</th><th>Length</th><th>Size</th><th>Listen</th>"
                + "</tr></thead><tbody>");
        for (var e : recorded.subList(0, Math.min(20, recorded.size()))) {
            String src = LABEL + ".wav?f=" + java.net.URLEncoder.encode(e.name(), java.nio.charset.StandardCharsets.UTF_8);
            out.println("<tr><td>recordings/" + Encode.forHtml(e.name()) + "</td><td>" + String.format(java.util.Locale.ROOT, "%.1f s", e.seconds())
                    + "</td><td>" + e.bytes() / 1024 + " KiB</td><td><audio controls preload='none' src='" + Encode.forHtmlAttribute(src)
                    + "'></audio></td></tr>");
        }
        out.println("</tbody></table>");
        List<org.besip.pbx.internal.proxy.TrunkRegistration.Status> trunks = pbx.trunkStatus();
        out.println("<h2>Trunk registrations (" + trunks.size() + ")</h2>");
        out.println("<table class='nicetable' id='besip-pbx-trunks'><thead><tr><th>Trunk</th><th>State</th><th>Detail</th></tr></thead>"
                + "<tbody>");
        for (var t : trunks) {
            out.println("<tr><td><a href='" + ConfigLinks.entry(PBX, "trunk", "name", t.trunk()) + "'>" + Encode.forHtml(t.trunk())
                    + "</a></td><td class='state'>" + Encode.forHtml(t.state()) + "</td><td>"
                    + Encode.forHtml(t.detail()) + "</td></tr>");
        }
        out.println("</tbody></table>");
        Map<String, Double> credits = pbx.credits();
        out.println("<h2>Accounts (" + credits.size() + ")</h2>");
        out.println("<table class='nicetable' id='besip-pbx-accounts'><thead><tr><th>User</th><th>Credit</th></tr></thead><tbody>");
        credits.forEach((user, credit) -> out.println("<tr><td>" + Encode.forHtml(user) + "</td><td class='credit'>"
                + String.format(java.util.Locale.ROOT, "%.4f", credit) + "</td></tr>"));
        out.println("</tbody></table>");
        out.println("<h2>Last calls <a id='besip-pbx-csv' href='" + LABEL + ".csv'>CSV</a></h2>");
        out.println("<table class='nicetable' id='besip-pbx-cdrs'><thead><tr><th>Started (UTC)</th><th>From</th><th>To</th>"
                + "<th>Source</th><th>Duration s</th><th>Disposition</th><th>Hung up by</th><th>MOS caller</th><th>MOS callee</th></tr></thead>"
                + "<tbody>");
        try {
            for (CdrStore.Row r : pbx.recentCdrs(LAST_CDRS)) {
                out.println("<tr><td>" + TIME.format(Instant.ofEpochMilli(r.startMs())) + "</td><td>" + Encode.forHtml(String.valueOf(r.from()))
                        + "</td><td>" + Encode.forHtml(String.valueOf(r.to())) + "</td><td>" + Encode.forHtml(String.valueOf(r.source()))
                        + "</td><td>" + (r.durationS() == null ? "" : r.durationS()) + "</td><td class='disposition'>"
                        + Encode.forHtml(r.disposition() == null ? "in progress" : r.disposition()) + "</td><td>"
                        + Encode.forHtml(r.hangup() == null ? "" : r.hangup()) + "</td>" + mos(r.mosCaller(), "mos-caller")
                        + mos(r.mosCallee(), "mos-callee") + "</tr>");
            }
        } catch (SQLException e) {
            out.println("<tr><td colspan='9' class='ui-state-error'>CDRs unavailable: " + Encode.forHtml(e.getMessage()) + "</td></tr>");
        }
        out.println("</tbody></table></div>");
    }

    /**
     * A MOS cell with its band (ITU-T G.107 Annex B user satisfaction):
     * 4.03 and up satisfied, 3.60 some dissatisfied, 3.10 many, 2.58 nearly all, below not recommended.
     */
    static String mos(Double mos, String cls) {
        if (mos == null) {
            return "<td class='" + cls + "'></td>";
        }
        String colour = mos >= 4.03 ? "#3c9a3c" : mos >= 3.60 ? "#9ac23c" : mos >= 3.10 ? "#e0b020" : mos >= 2.58 ? "#e07020" : "#c03030";
        return "<td class='" + cls + "' style='border-left:6px solid " + colour + "'>" + String.format(java.util.Locale.ROOT, "%.2f", mos) + "</td>";
    }
}
