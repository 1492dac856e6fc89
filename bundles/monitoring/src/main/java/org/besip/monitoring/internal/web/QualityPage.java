package org.besip.monitoring.internal.web;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

import jakarta.servlet.Servlet;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.apache.felix.webconsole.servlet.AbstractServlet;
import org.apache.felix.webconsole.servlet.ServletConstants;
import org.besip.core.api.config.ConfigEditor;
import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.web.RequestChecks;
import org.besip.monitoring.internal.component.MonitoringComponent;
import org.besip.monitoring.internal.store.QualityStore.Row;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.owasp.encoder.Encode;

/**
 * The Web Console page "Speech quality" ({@code /system/console/besip-quality}): whether
 * monitoring runs, with start/stop (an edit of running through the NETCONF commit path, so the
 * page and NETCONF agree), the scored streams with a filter by time and address, a MOS-over-time
 * chart, and CSV export ({@code besip-quality.csv}).
 */
@Component(service = Servlet.class, property = {
        ServletConstants.PLUGIN_LABEL + "=" + QualityPage.LABEL,
        ServletConstants.PLUGIN_TITLE + "=Speech quality",
        ServletConstants.PLUGIN_CATEGORY + "=besip" })
public class QualityPage extends AbstractServlet {

    static final String LABEL = "besip-quality";
    static final int MAX_ROWS = 500;
    private static final long serialVersionUID = 1L;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    @Reference
    private transient MonitoringComponent monitoring;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private transient volatile ConfigEditor editor;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        if (req.getRequestURI().endsWith(".csv")) {
            List<Row> rows = rows(req, resp);
            if (rows == null) {
                return;
            }
            resp.setContentType("text/csv");
            resp.setCharacterEncoding("UTF-8");
            resp.setHeader("Content-Disposition", "attachment; filename=\"speech-quality.csv\"");
            PrintWriter out = resp.getWriter();
            out.println("time,source,destination,ssrc,codec,packets,loss_pct,burst_r,jitter_ms,delay_ms,r,mos");
            for (Row r : rows) {
                out.println(String.join(",", TIME.format(Instant.ofEpochMilli(r.time())), r.src(), r.dst(), r.ssrc(), r.codec(),
                        String.valueOf(r.packets()), num(r.lossPct(), 2), num(r.burstR(), 2), num(r.jitterMs(), 3),
                        num(r.delayMs(), 1), r.r() == null ? "" : num(r.r(), 1), r.mos() == null ? "" : num(r.mos(), 2)));
            }
            return;
        }
        super.doGet(req, resp);
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!RequestChecks.sameOrigin(req.getHeader("Origin"), req.getHeader("Host"))) {
            resp.sendError(HttpServletResponse.SC_FORBIDDEN, "cross-site request refused (Origin does not match Host)");
            return;
        }
        String action = req.getParameter("action");
        if (!"start".equals(action) && !"stop".equals(action)) {
            resp.sendError(HttpServletResponse.SC_BAD_REQUEST, "action must be start or stop");
            return;
        }
        ConfigEditor e = editor;
        String message;
        if (e == null) {
            message = "the configuration service (NETCONF) is not running";
        } else {
            try {
                e.merge("<monitoring xmlns=\"urn:besip:params:xml:ns:yang:besip-monitoring\"><enabled>"
                        + "start".equals(action) + "</enabled></monitoring>");
                message = null;
            } catch (ConfigRejectedException ex) {
                message = ex.getMessage();
            }
        }
        resp.sendRedirect(LABEL + (message == null ? "" : "?error=" + URLEncoder.encode(message, StandardCharsets.UTF_8)));
    }

    /** The rows the request's filter selects, or null after answering 400 for a bad filter. */
    private List<Row> rows(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String minutes = req.getParameter("minutes");
        long since = 0;
        if (minutes != null && !minutes.isBlank()) {
            try {
                long m = Long.parseLong(minutes.trim());
                if (m < 1 || m > 5_256_000) {
                    throw new NumberFormatException();
                }
                since = System.currentTimeMillis() - m * 60_000L;
            } catch (NumberFormatException e) {
                resp.sendError(HttpServletResponse.SC_BAD_REQUEST, "minutes must be a whole number from 1 to 5256000");
                return null;
            }
        }
        try {
            return monitoring.store().recent(since, req.getParameter("address"), MAX_ROWS);
        } catch (SQLException e) {
            resp.sendError(HttpServletResponse.SC_INTERNAL_SERVER_ERROR, "history unavailable: " + e.getMessage());
            return null;
        }
    }

    @Override
    public void renderContent(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        PrintWriter out = resp.getWriter();
        List<Row> rows;
        String filterError = null;
        try {
            String minutes = req.getParameter("minutes");
            long since = minutes == null || minutes.isBlank() ? 0 : System.currentTimeMillis() - Long.parseLong(minutes.trim()) * 60_000L;
            rows = monitoring.store().recent(since, req.getParameter("address"), MAX_ROWS);
        } catch (NumberFormatException | SQLException e) {
            rows = List.of();
            filterError = e instanceof NumberFormatException ? "minutes must be a whole number" : e.getMessage();
        }
        boolean running = monitoring.running();
        out.println("<div id='besip-quality'>");
        out.println(org.besip.core.api.web.ConfigLinks.paragraph("besip-quality-configure", "/besip-monitoring:monitoring",
                "capture interface, codecs, history, Zabbix agent"));
        out.println("<p class='statline' id='besip-quality-status'>" + (running
                ? "Monitoring is running&hellip; (" + monitoring.capturedPackets() + " packets, " + monitoring.droppedPackets()
                        + " dropped)"
                : monitoring.captureProblem() != null ? "Monitoring is on but not capturing" : "Monitoring is stopped") + "</p>");
        String problem = monitoring.captureProblem(); // configured to run, but not capturing

        if (problem != null) {
            out.println("<p class='statline ui-state-error' id='besip-quality-capture-problem'>" + Encode.forHtml(problem) + "</p>");
        }
        String error = req.getParameter("error");
        if (error != null || filterError != null) {
            out.println("<p class='statline ui-state-error' id='besip-quality-error'>"
                    + Encode.forHtml(error != null ? error : filterError) + "</p>");
        }
        out.println("<form method='post' action='" + LABEL + "'><input type='hidden' name='action' value='"
                + (running ? "stop" : "start") + "'><button type='submit' id='besip-quality-toggle'>"
                + (running ? "Stop" : "Start") + "</button></form>");
        String minutes = Encode.forHtmlAttribute(String.valueOf(req.getParameter("minutes") == null ? "" : req.getParameter("minutes")));
        String address = Encode.forHtmlAttribute(String.valueOf(req.getParameter("address") == null ? "" : req.getParameter("address")));
        out.println("<form method='get' action='" + LABEL + "'>Last <input name='minutes' size='6' value='" + minutes
                + "'> minutes, address <input name='address' size='16' value='" + address
                + "'> <button type='submit'>Filter</button> <a id='besip-quality-csv' href='" + LABEL + ".csv?minutes=" + minutes
                + "&amp;address=" + address + "'>CSV</a></form>");
        out.println(chart(rows));
        out.println("<table class='tablesorter nicetable' id='besip-quality-table'><thead><tr><th>Time (UTC)</th>"
                + "<th>Source IP</th><th>Destination IP</th><th>MOS</th><th>Codec</th><th>Loss %</th><th>Jitter ms</th></tr></thead><tbody>");
        for (Row r : rows) {
            out.println("<tr><td>" + TIME.format(Instant.ofEpochMilli(r.time())) + "</td><td class='src'>" + Encode.forHtml(r.src())
                    + "</td><td>" + Encode.forHtml(r.dst()) + "</td><td class='mos'>" + (r.mos() == null ? "-" : num(r.mos(), 2))
                    + "</td><td>" + Encode.forHtml(r.codec()) + "</td><td>" + num(r.lossPct(), 2) + "</td><td>"
                    + num(r.jitterMs(), 3) + "</td></tr>");
        }
        out.println("</tbody></table></div>");
    }

    /** MOS over time as an SVG polyline (1 to 4.5 on the y axis), oldest left. */
    static String chart(List<Row> rows) {
        List<Row> scored = rows.stream().filter(r -> r.mos() != null).toList();
        StringBuilder sb = new StringBuilder("<svg id='besip-quality-chart' width='600' height='160' viewBox='0 0 600 160'"
                + " role='img' aria-label='MOS over time'><rect x='0' y='0' width='600' height='160' fill='none' stroke='#ccc'/>");
        for (double mos : new double[] { 1, 2, 3, 4 }) {
            double y = 150 - (mos - 1) / 3.5 * 140;
            sb.append(String.format(Locale.ROOT, "<line x1='30' y1='%.1f' x2='600' y2='%.1f' stroke='#eee'/>"
                    + "<text x='4' y='%.1f' font-size='10'>%.0f</text>", y, y, y + 3, mos));
        }
        if (!scored.isEmpty()) {
            long t0 = scored.get(scored.size() - 1).time();
            long t1 = scored.get(0).time();
            double span = Math.max(1, t1 - t0);
            sb.append("<polyline fill='none' stroke='#36c' stroke-width='2' points='");
            for (int i = scored.size() - 1; i >= 0; i--) {
                Row r = scored.get(i);
                double x = 30 + (r.time() - t0) / span * 560;
                double y = 150 - (r.mos() - 1) / 3.5 * 140;
                sb.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            sb.append("'/>");
        }
        return sb.append("</svg>").toString();
    }

    private static String num(double v, int digits) {
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }
}
