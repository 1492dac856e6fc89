package org.besip.netconf.internal.web;

import java.io.IOException;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.apache.felix.webconsole.servlet.AbstractServlet;
import org.besip.core.api.web.RequestChecks;
import org.besip.netconf.internal.datastore.Datastores.Name;
import org.besip.netconf.internal.ops.EditConfig;
import org.besip.netconf.internal.ops.NetconfServer;
import org.besip.netconf.internal.ops.Session;
import org.besip.netconf.internal.yang.DataTrees;
import org.besip.netconf.internal.yang.Schema;
import org.besip.netconf.internal.yang.SchemaNode;
import org.besip.netconf.internal.yang.SchemaNode.Kind;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The Web Console page "Configuration" ({@code /system/console/besip-config}): every module's
 * configuration as forms generated from the schema the NETCONF server holds now (a module
 * installed later is there on the next page load). Edits go to the candidate through the same
 * operations a NETCONF client sends (edit-config, commit, confirmed commit, cancel-commit,
 * discard-changes), as the console's user; the server's errors are shown at the fields their
 * paths name. A thin shell: the forms are {@link ConfigForm}, the change view {@link ConfigDiff}.
 */
public final class ConfigPage extends AbstractServlet {

    public static final String LABEL = "besip-config";
    private static final long serialVersionUID = 1L;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final transient NetconfServer server;
    private final AtomicLong messageIds = new AtomicLong();
    /** The persist token of the confirmed commit this page made (it outlives the request's session). */
    private volatile String persistToken;

    /** What a post leaves for the page it redirects to: a line, the errors, the values posted. Bounded. */
    private record Flash(String message, List<Problem> problems, Map<String, String[]> posted) {
    }

    /** An error of the server (or of the form): the path it names, or the form field; its message. */
    record Problem(String path, String field, String message) {
    }

    private final transient Map<String, Flash> flashes = java.util.Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Flash> eldest) {
            return size() > 32;
        }
    });

    public ConfigPage(NetconfServer server) {
        this.server = server;
    }

    // ---- posts: each one NETCONF operation (or two) on the candidate, then back to a page ----

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!RequestChecks.sameOrigin(req.getHeader("Origin"), req.getHeader("Host"))) {
            resp.sendError(HttpServletResponse.SC_FORBIDDEN, "cross-site request refused (Origin does not match Host)");
            return;
        }
        Schema schema = server.schema();
        String pathText = req.getParameter("path");
        DataPath path = null;
        if (pathText != null && !pathText.isEmpty()) {
            try {
                path = DataPath.parse(schema, pathText);
            } catch (IllegalArgumentException e) {
                resp.sendError(HttpServletResponse.SC_BAD_REQUEST, "path: " + e.getMessage());
                return;
            }
        }
        String action = req.getParameter("remove") != null ? "remove" : req.getParameter("action");
        Session as = NetconfServer.inside((req.getRemoteUser() == null ? "admin" : req.getRemoteUser()) + " (web console)", remote(req));
        String back = path == null ? "" : ConfigForm.query(path);
        switch (action == null ? "" : action) {
            case "save" -> {
                if (path == null) {
                    resp.sendError(HttpServletResponse.SC_BAD_REQUEST, "save needs the path of the form");
                    return;
                }
                save(req, resp, schema, as, path);
            }
            case "remove" -> {
                DataPath entry;
                try {
                    entry = DataPath.parse(schema, req.getParameter("remove"));
                } catch (IllegalArgumentException e) {
                    resp.sendError(HttpServletResponse.SC_BAD_REQUEST, "remove: " + e.getMessage());
                    return;
                }
                if (!entry.isEntry() && !(entry.node().kind() == Kind.CONTAINER && entry.node().presence())) {
                    resp.sendError(HttpServletResponse.SC_BAD_REQUEST, "remove takes the path of a list entry");
                    return;
                }
                List<Problem> p = call(as, editConfig(ConfigForm.removal(entry), true));
                redirect(resp, back, p.isEmpty() ? "Removed " + entry + " from the candidate; commit to apply." : null, p, null);
            }
            case "commit" -> {
                List<Problem> p = call(as, op("commit"));
                redirect(resp, pageOf(schema, p, back), p.isEmpty() ? committed("Committed") : null, p, null);
            }
            case "confirmed" -> {
                String timeout = req.getParameter("timeout") == null ? "" : req.getParameter("timeout").trim();
                String token = HexFormat.of().formatHex(bytes());
                Element commit = op("commit");
                add(commit, "confirmed", null);
                add(commit, "confirm-timeout", timeout);
                add(commit, "persist", token);
                List<Problem> p = call(as, commit);
                if (p.isEmpty()) {
                    persistToken = token;
                }
                redirect(resp, pageOf(schema, p, back), p.isEmpty() ? committed("Committed on trial") + ": running goes back by itself in "
                        + timeout + " s unless you confirm." : null, p, null);
            }
            case "confirm", "cancel" -> {
                String token = persistToken;
                if (token == null) {
                    redirect(resp, back, null, List.of(new Problem(null, null,
                            "there is no confirmed commit of this page's to " + action)), null);
                    return;
                }
                Element op = op(action.equals("confirm") ? "commit" : "cancel-commit");
                add(op, "persist-id", token);
                List<Problem> p = call(as, op);
                if (p.isEmpty()) {
                    persistToken = null;
                }
                redirect(resp, back, p.isEmpty() ? (action.equals("confirm") ? committed("Confirmed")
                        : "Cancelled: running is the configuration from before the confirmed commit again.") : null, p, null);
            }
            case "discard" -> {
                List<Problem> p = call(as, op("discard-changes"));
                redirect(resp, back, p.isEmpty() ? "Discarded: the candidate is the running configuration again." : null, p, null);
            }
            default -> resp.sendError(HttpServletResponse.SC_BAD_REQUEST,
                    "action must be save, remove, commit, confirmed, confirm, cancel or discard");
        }
    }

    private static byte[] bytes() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return b;
    }

    private String committed(String what) {
        var commits = server.commits();
        return what + (commits.isEmpty() ? "" : " (commit " + commits.get(0).id() + ")") + ": running is the candidate now";
    }

    private void save(HttpServletRequest req, HttpServletResponse resp, Schema schema, Session as, DataPath path) throws IOException {
        boolean isNew = "1".equals(req.getParameter("new"));
        if (isNew && (path.node().kind() != Kind.LIST || path.isEntry())) {
            resp.sendError(HttpServletResponse.SC_BAD_REQUEST, "a new entry is made in a list: " + path + " is not one");
            return;
        }
        if (!isNew && !path.isEntry() && path.steps().size() != 1) {
            resp.sendError(HttpServletResponse.SC_BAD_REQUEST, "a form is a module's top-level node or a list entry, not " + path);
            return;
        }
        Map<String, String[]> posted = new LinkedHashMap<>(req.getParameterMap());
        String back = ConfigForm.query(path) + (isNew ? "&new=1" : "");
        List<ConfigForm.Edit> edits;
        DataPath target;
        try {
            target = ConfigForm.target(path, isNew, posted);
            edits = ConfigForm.edits(schema, server.datastores().snapshot(Name.CANDIDATE), path, isNew, posted);
        } catch (ConfigForm.FieldException e) {
            redirect(resp, back, null, List.of(new Problem(null, e.field(), e.getMessage())), posted);
            return;
        }
        if (edits.isEmpty()) {
            redirect(resp, back, "Nothing to save: the form holds what the candidate does.", List.of(), null);
            return;
        }
        for (ConfigForm.Edit e : edits) {
            List<Problem> p = call(as, editConfig(e.config(), e.validate()));
            if (!p.isEmpty()) {
                if (edits.size() > 1) {
                    call(as, op("discard-changes")); // a two-step reorder left half done would not be what was asked
                }
                redirect(resp, back, null, p, posted);
                return;
            }
        }
        redirect(resp, ConfigForm.query(target),
                "Saved to the candidate. Commit to make it running.", List.of(), null);
    }

    /** After a refused commit, the page of the first error's node: where its field is. */
    private static String pageOf(Schema schema, List<Problem> problems, String back) {
        for (Problem p : problems) {
            if (p.path() != null) {
                try {
                    return ConfigForm.query(DataPath.parse(schema, p.path()).page());
                } catch (IllegalArgumentException e) {
                    // not a configuration path: shown at the top of the page it came from
                }
            }
        }
        return back;
    }

    private void redirect(HttpServletResponse resp, String query, String message, List<Problem> problems, Map<String, String[]> posted)
            throws IOException {
        String token = HexFormat.of().formatHex(bytes()).substring(0, 16);
        flashes.put(token, new Flash(message, problems, posted));
        resp.sendRedirect(LABEL + "?" + (query.isEmpty() ? "" : query + "&") + "r=" + token);
    }

    private static String remote(HttpServletRequest req) {
        return req.getRemoteAddr() + ":" + req.getRemotePort();
    }

    // ---- the NETCONF operations, as a client would send them ----

    private static Element op(String name) {
        Document d = DataTrees.newDocument();
        return (Element) d.appendChild(d.createElementNS(EditConfig.NC, name));
    }

    private static Element add(Element parent, String name, String text) {
        Element e = parent.getOwnerDocument().createElementNS(EditConfig.NC, name);
        if (text != null) {
            e.setTextContent(text);
        }
        parent.appendChild(e);
        return e;
    }

    private static Element editConfig(Element config, boolean validate) {
        Element op = op("edit-config");
        add(add(op, "target", null), "candidate", null);
        add(op, "test-option", validate ? "test-then-set" : "set");
        op.appendChild(op.getOwnerDocument().importNode(config, true));
        return op;
    }

    /** Runs one operation as {@code as}; the rpc-errors of the reply, none when it was ok. */
    private List<Problem> call(Session as, Element operation) {
        Document req = DataTrees.newDocument();
        Element rpc = req.createElementNS(EditConfig.NC, "rpc");
        rpc.setAttribute("message-id", "web-" + messageIds.incrementAndGet());
        req.appendChild(rpc);
        rpc.appendChild(req.importNode(operation, true));
        Document reply = server.handle(as, req);
        List<Problem> out = new ArrayList<>();
        for (Element e : DataTrees.children(reply.getDocumentElement())) {
            if ("rpc-error".equals(e.getLocalName())) {
                Element path = DataTrees.child(e, EditConfig.NC, "error-path");
                Element msg = DataTrees.child(e, EditConfig.NC, "error-message");
                out.add(new Problem(path == null ? null : path.getTextContent().trim(), null,
                        msg == null ? "refused" : msg.getTextContent().trim()));
            }
        }
        return out;
    }

    // ---- the page ----

    @Override
    public void renderContent(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        PrintWriter out = resp.getWriter();
        Schema schema = server.schema();
        out.println("<div id='besip-config'>");
        out.println(STYLE);
        String r = req.getParameter("r");
        Flash flash = r == null ? null : flashes.remove(r);
        // the box's own modules first, the IETF ones it implements after them
        List<SchemaNode> tops = schema.tops().stream().filter(ConfigForm::shown)
                .sorted(java.util.Comparator.comparing((SchemaNode t) -> t.module().startsWith("ietf-"))).toList();
        DataPath path;
        String pathText = req.getParameter("path");
        try {
            path = pathText == null || pathText.isEmpty() ? (tops.isEmpty() ? null : DataPath.top(tops.get(0)))
                    : DataPath.parse(schema, pathText);
        } catch (IllegalArgumentException e) {
            resp.setStatus(HttpServletResponse.SC_BAD_REQUEST);
            out.println("<p class='field-error' id='besip-config-bad-path'>" + html("path: " + e.getMessage()) + "</p>");
            path = tops.isEmpty() ? null : DataPath.top(tops.get(0));
        }
        if (flash != null && flash.message() != null) {
            out.println("<p class='besip-config-message' id='besip-config-message'>" + html(flash.message()) + "</p>");
        }
        Element candidate = server.datastores().snapshot(Name.CANDIDATE);
        Element running = server.datastores().snapshot(Name.RUNNING);
        List<ConfigDiff.Change> changes = ConfigDiff.between(schema, running, candidate); // the count and the view: one pass
        status(out, changes.size(), path);
        out.println("<nav id='besip-config-modules'><strong>Configuration of:</strong> ");
        for (SchemaNode t : tops) {
            DataPath tp = DataPath.top(t);
            boolean current = path != null && path.steps().get(0).node() == t;
            out.println("<a href='" + ConfigForm.link(tp, false) + "'" + (current ? " class='current'" : "") + " title='" + attr(t.module())
                    + "'>" + html(t.name()) + "</a>");
        }
        out.println("</nav>");
        if ("diff".equals(req.getParameter("view"))) {
            diff(out, changes);
        } else if (path != null) {
            page(out, resp, schema, candidate, path, "1".equals(req.getParameter("new")), flash);
        }
        out.println("</div>");
    }

    private void page(PrintWriter out, HttpServletResponse resp, Schema schema, Element candidate, DataPath path, boolean isNew, Flash flash) {
        if (!isNew && !path.isEntry()) {
            path = path.page(); // a leaf or inner container: the form that holds it
        }
        breadcrumb(out, path, isNew);
        Map<String, String> fieldErrors = new LinkedHashMap<>();
        List<Problem> general = new ArrayList<>();
        DataPath base = path;
        if (isNew && flash != null && flash.posted() != null) {
            try {
                base = ConfigForm.target(path, true, flash.posted());
            } catch (ConfigForm.FieldException e) {
                base = null;
            }
        }
        for (Problem p : flash == null ? List.<Problem>of() : flash.problems()) {
            String field = p.field() != null ? p.field() : fieldOf(schema, base, p.path());
            if (field != null && !fieldErrors.containsKey(field)) {
                // at its field the message need not say where: "module m refused the configuration at PATH: " goes
                String where = p.path() == null ? null : " refused the configuration at " + p.path() + ": ";
                int cut = where == null ? -1 : p.message().indexOf(where);
                fieldErrors.put(field, cut >= 0 && p.message().startsWith("module ") ? p.message().substring(cut + where.length()) : p.message());
            } else {
                general.add(p);
            }
        }
        if (!general.isEmpty()) {
            out.println("<ul class='field-error' id='besip-config-errors'>");
            for (Problem p : general) {
                String where = "";
                if (p.path() != null) {
                    try {
                        DataPath at = DataPath.parse(schema, p.path());
                        where = " <a href='" + ConfigForm.link(at.page(), false) + "'>" + html(at.toString()) + "</a>";
                    } catch (IllegalArgumentException e) {
                        where = " (" + html(p.path()) + ")";
                    }
                }
                out.println("<li>" + html(p.message()) + where + "</li>");
            }
            out.println("</ul>");
        }
        if (!fieldErrors.isEmpty()) {
            out.println("<p class='field-error' id='besip-config-refused'>Refused, nothing was applied: " + fieldErrors.size()
                    + (fieldErrors.size() == 1 ? " field needs" : " fields need") + " a change (marked below).</p>");
        }
        if (!isNew && path.isEntry() && path.find(candidate) == null) {
            resp.setStatus(HttpServletResponse.SC_NOT_FOUND);
            out.println("<p class='field-error' id='besip-config-missing'>" + html(path + " is not in the candidate.") + "</p>");
            return;
        }
        out.println(ConfigForm.render(schema, candidate, path, isNew, flash == null ? null : flash.posted(), fieldErrors));
    }

    /** The form field (relative to the form at {@code base}) an error's path names, "" for the form itself, or null. */
    static String fieldOf(Schema schema, DataPath base, String errorPath) {
        if (base == null || errorPath == null) {
            return null;
        }
        DataPath at;
        try {
            at = DataPath.parse(schema, errorPath);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (!base.holds(at)) {
            return null;
        }
        List<String> names = new ArrayList<>();
        var steps = at.steps();
        for (int i = base.steps().size(); i < steps.size(); i++) {
            if (steps.get(i).node().kind() == Kind.LIST) {
                return null; // in an entry of a list of its own: that entry's form
            }
            names.add(steps.get(i).node().name());
        }
        return String.join("/", names);
    }

    private void breadcrumb(PrintWriter out, DataPath path, boolean isNew) {
        out.print("<p class='breadcrumb' id='besip-config-where'>");
        List<DataPath.Step> steps = path.steps();
        for (int i = 1; i <= steps.size(); i++) {
            DataPath.Step s = steps.get(i - 1);
            out.print(i == 1 ? "" : " › ");
            String label = s.node().name() + (s.keys().isEmpty() ? "" : " " + String.join(" ", s.keys().values()));
            if (i == steps.size() && !isNew) {
                out.print("<strong>" + html(label) + "</strong>");
            } else if (s.node().kind() == Kind.LIST && s.keys().isEmpty()) {
                out.print(html(label));
            } else {
                out.print("<a href='" + ConfigForm.link(path.upTo(i), false) + "'>" + html(label) + "</a>");
            }
        }
        if (isNew) {
            out.print(" › <strong>new " + html(path.node().name()) + "</strong>");
        }
        out.println("</p>");
    }

    private void status(PrintWriter out, int changes, DataPath at) {
        // the status forms come back to the page they were sent from
        String here = at == null ? "" : "<input type='hidden' name='path' value='" + attr(at.toString()) + "'>";
        out.println("<div id='besip-config-status' class='besip-config-status'>");
        for (Name n : List.of(Name.RUNNING, Name.CANDIDATE)) {
            Long holder = server.datastores().lockHolder(n);
            if (holder != null) {
                String who = server.sessions().stream().filter(s -> s.id() == holder).findFirst()
                        .map(s -> s.user() + " from " + s.sourceAddress()).orElse("a session that is ending");
                out.println("<p class='lock' id='besip-config-lock-" + n.xml() + "'>The " + n.xml() + " datastore is locked by NETCONF session "
                        + holder + " (" + html(who) + "): saving and committing here are refused until it unlocks.</p>");
            }
        }
        Optional<NetconfServer.Pending> pending = server.pendingConfirm();
        if (pending.isPresent()) {
            long left = Math.max(0, (pending.get().rollsBackAtMs() - System.currentTimeMillis() + 999) / 1000);
            out.println("<p id='besip-config-pending'>A confirmed commit is on trial: running goes back to the configuration before it in "
                    + "<span id='besip-config-left'>" + left + "</span> s unless it is confirmed.</p>");
            if (persistToken != null && pending.get().persisted()) {
                out.println("<form method='post' action='" + LABEL + "' class='inline'>" + here + "<button type='submit' name='action' value='confirm' "
                        + "id='besip-config-confirm'>Confirm</button> <button type='submit' name='action' value='cancel' "
                        + "id='besip-config-cancel'>Go back now</button></form>");
            } else {
                out.println("<p>It was made by NETCONF session " + pending.get().session() + "; only that client can confirm it.</p>");
            }
        }
        if (changes == 0) {
            out.println("<p id='besip-config-changes'>The candidate is the running configuration: nothing to commit.</p>");
        } else {
            out.println("<p id='besip-config-changes'>The candidate holds <strong>" + changes + "</strong> change" + (changes == 1 ? "" : "s")
                    + " not yet running. <a href='" + LABEL + "?view=diff' id='besip-config-show-diff'>Show the changes</a></p>");
            out.println("<form method='post' action='" + LABEL + "' class='inline' id='besip-config-commit-form'>" + here
                    + "<button type='submit' name='action' value='commit' id='besip-config-commit'>Commit</button> "
                    + "<button type='submit' name='action' value='confirmed' id='besip-config-confirmed'>Commit on trial</button> for "
                    + "<input type='text' name='timeout' value='120' size='5' id='besip-config-timeout'> s "
                    + "<span class='hint'>(rolls back by itself unless confirmed: for changes that could cut you off)</span> "
                    + "<button type='submit' name='action' value='discard' id='besip-config-discard'>Discard changes</button></form>");
        }
        out.println("</div>");
    }

    private void diff(PrintWriter out, List<ConfigDiff.Change> changes) {
        out.println("<h2>What a commit changes in running (" + changes.size() + ")</h2>");
        out.println("<table class='nicetable' id='besip-config-diff'><thead><tr><th></th><th>Path</th><th>Running</th><th>Candidate</th>"
                + "</tr></thead><tbody>");
        for (ConfigDiff.Change c : changes) {
            String sign = switch (c.kind()) {
                case ADDED -> "+";
                case REMOVED -> "−";
                case CHANGED -> "~";
            };
            out.println("<tr class='" + c.kind().name().toLowerCase(java.util.Locale.ROOT) + "'><td>" + sign + "</td><td class='path'>"
                    + html(c.path()) + "</td><td>" + html(c.running() == null ? "" : c.running()) + "</td><td>"
                    + html(c.candidate() == null ? "" : c.candidate()) + "</td></tr>");
        }
        out.println("</tbody></table>");
    }

    private static String html(String s) {
        return ConfigForm.html(s);
    }

    private static String attr(String s) {
        return ConfigForm.attr(s);
    }

    /** The page's own look, served with it: no framework, no script from elsewhere. */
    private static final String STYLE = """
            <style>
            #besip-config .field { margin: .35em 0; }
            #besip-config .field > label:first-child { display: inline-block; min-width: 14em; font-weight: bold; }
            #besip-config .hint { color: #666; font-size: 90%; }
            #besip-config .help { color: #444; font-size: 88%; margin: .1em 0 .3em 14.5em; max-width: 60em; }
            #besip-config p.help { margin-left: 0; }
            #besip-config .field-error { color: #b00020; font-weight: bold; }
            #besip-config div.field-error { margin-left: 14.5em; }
            #besip-config .invalid input, #besip-config .invalid select, #besip-config .invalid textarea { border: 2px solid #b00020; }
            #besip-config .mandatory { color: #b00020; }
            #besip-config fieldset.section { margin: .6em 0; border: 1px solid #ccc; }
            #besip-config legend { font-weight: bold; }
            #besip-config nav a { margin-right: .8em; }
            #besip-config nav a.current { font-weight: bold; text-decoration: underline; }
            #besip-config .besip-config-status { background: #f4f6f8; border: 1px solid #d0d7de; padding: .2em .8em; margin: .5em 0; }
            #besip-config .besip-config-message { background: #e6f4ea; padding: .3em .8em; }
            #besip-config .lock { color: #8a5300; font-weight: bold; }
            #besip-config form.inline { display: inline; }
            #besip-config tr.added td { background: #e6f4ea; } #besip-config tr.removed td { background: #fde7e9; }
            #besip-config tr.changed td { background: #fff8e1; }
            #besip-config .switch input { width: 2.2em; height: 1.1em; accent-color: #2e7d32; vertical-align: middle; }
            </style>""";
}
