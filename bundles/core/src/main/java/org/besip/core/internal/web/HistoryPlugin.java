package org.besip.core.internal.web;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.apache.felix.webconsole.servlet.AbstractServlet;
import org.apache.felix.webconsole.servlet.ServletConstants;
import org.besip.core.api.config.ConfigEditor;
import org.besip.core.api.config.ConfigRejectedException;
import org.besip.core.api.web.RequestChecks;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.owasp.encoder.Encode;

/**
 * The Web Console page "Configuration history" ({@code /system/console/besip-history}): the
 * commits of running the box keeps (besip-system {@code system/rollback/history}), newest first,
 * with when, who, what and which modules, and a button that makes running one of them again
 * (the same rollback as the NETCONF RPC and {@code besip-cli rollback ID}). There while the
 * NETCONF server runs.
 */
@Component(service = Servlet.class, property = {
        ServletConstants.PLUGIN_LABEL + "=" + HistoryPlugin.LABEL,
        ServletConstants.PLUGIN_TITLE + "=Configuration history",
        ServletConstants.PLUGIN_CATEGORY + "=besip" })
public class HistoryPlugin extends AbstractServlet {

    static final String LABEL = "besip-history";
    private static final long serialVersionUID = 1L;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    @Reference
    private transient ConfigEditor config;

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!RequestChecks.sameOrigin(req.getHeader("Origin"), req.getHeader("Host"))) {
            resp.sendError(HttpServletResponse.SC_FORBIDDEN, "cross-site request refused (Origin does not match Host)");
            return;
        }
        String id = req.getParameter("id");
        if (!"rollback".equals(req.getParameter("action")) || id == null || !id.trim().matches("\\d{1,18}")) {
            resp.sendError(HttpServletResponse.SC_BAD_REQUEST, "action must be rollback, with the id of a commit");
            return;
        }
        String user = req.getRemoteUser() == null ? "admin" : req.getRemoteUser();
        try {
            config.rollback(Long.parseLong(id.trim()), user + " (web console)");
        } catch (ConfigRejectedException e) {
            resp.sendRedirect(LABEL + "?error=" + URLEncoder.encode(e.getMessage(), StandardCharsets.UTF_8));
            return;
        }
        resp.sendRedirect(LABEL + "?done=" + id.trim());
    }

    @Override
    public void renderContent(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        PrintWriter out = resp.getWriter();
        out.println("<div id='besip-history'>");
        String error = req.getParameter("error");
        if (error != null) {
            out.println("<p class='ui-state-error' id='besip-history-error'>" + Encode.forHtml(error) + "</p>");
        }
        String done = req.getParameter("done");
        if (done != null && done.matches("\\d{1,18}")) {
            out.println("<p id='besip-history-done'>Running is commit " + done + "'s configuration again.</p>");
        }
        var commits = config.commits();
        out.println("<h2>Commits kept (" + commits.size() + ")</h2>");
        out.println("<table class='nicetable' id='besip-history-commits'><thead><tr><th>#</th><th>Time (UTC)</th><th>User</th><th>What</th>"
                + "<th>Modules</th><th></th></tr></thead><tbody>");
        boolean first = true;
        for (ConfigEditor.Commit c : commits) {
            out.println("<tr><td class='id'>" + c.id() + "</td><td>" + TIME.format(Instant.ofEpochMilli(c.timeMs())) + "</td><td>"
                    + Encode.forHtml(c.user().isEmpty() ? "(the box)" : c.user()) + "</td><td>" + Encode.forHtml(c.note()) + "</td><td>"
                    + Encode.forHtml(String.join(", ", c.modules())) + "</td><td>" + (first ? "running"
                            : "<form method='post' action='" + LABEL + "'><input type='hidden' name='action' value='rollback'>"
                                    + "<input type='hidden' name='id' value='" + c.id() + "'><button type='submit'>Restore</button></form>")
                    + "</td></tr>");
            first = false;
        }
        out.println("</tbody></table>");
        out.println("<p>How many are kept: <code>system/rollback/history</code> (20 unless set). The same history answers the NETCONF RPCs "
                + "<code>list-commits</code> and <code>rollback</code> and <code>besip-cli rollback</code>.</p>");
        out.println("</div>");
    }
}
