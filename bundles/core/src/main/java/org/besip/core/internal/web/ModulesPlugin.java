package org.besip.core.internal.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import jakarta.json.JsonObjectBuilder;
import jakarta.json.spi.JsonProvider;
import jakarta.servlet.Servlet;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.Part;

import org.apache.felix.webconsole.servlet.AbstractServlet;
import org.apache.felix.webconsole.servlet.ServletConstants;
import org.besip.core.api.module.BundleInfo;
import org.besip.core.api.module.ModuleException;
import org.besip.core.api.module.ModuleInfo;
import org.besip.core.api.module.ModuleManager;
import org.besip.core.api.web.RequestChecks;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.owasp.encoder.Encode;

/**
 * The Web Console "Modules" page ({@code /system/console/besip-modules}) and its JSON API
 * ({@code besip-modules.json}): GET lists the modules; POST with {@code action} =
 * install|upgrade|enable|disable|remove and {@code module} acts on one, the bundle for install
 * and upgrade coming as a multipart part named {@code bundle} or as the raw request body.
 */
@Component(service = Servlet.class, property = {
        ServletConstants.PLUGIN_LABEL + "=" + ModulesPlugin.LABEL,
        ServletConstants.PLUGIN_TITLE + "=Modules",
        ServletConstants.PLUGIN_CATEGORY + "=besip" })
public class ModulesPlugin extends AbstractServlet {

    static final String LABEL = "besip-modules";
    private static final long serialVersionUID = 1L;
    private static final JsonProvider JSON = new org.apache.johnzon.core.JsonProviderImpl();

    @Reference
    private transient ModuleManager modules;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        if (isJson(req)) {
            var list = JSON.createArrayBuilder();
            modules.list().forEach(m -> list.add(toJson(m)));
            sendJson(resp, HttpServletResponse.SC_OK, JSON.createObjectBuilder().add("modules", list));
            return;
        }
        super.doGet(req, resp);
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!RequestChecks.sameOrigin(req.getHeader("Origin"), req.getHeader("Host"))) {
            error(resp, HttpServletResponse.SC_FORBIDDEN, "cross-site request refused (Origin does not match Host)");
            return;
        }
        String action = param(req, "action");
        String name = param(req, "module");
        try {
            ModuleInfo result;
            switch (action == null ? "" : action) {
                case "install" -> {
                    InputStream jar = upload(req);
                    if (jar != null) {
                        try (jar) {
                            result = modules.installBundle(jar);
                        }
                    } else if (name != null && !name.isBlank()) {
                        result = modules.install(name);
                    } else {
                        error(resp, HttpServletResponse.SC_BAD_REQUEST, "install needs a module name or an uploaded bundle");
                        return;
                    }
                }
                case "upgrade" -> {
                    InputStream jar = upload(req);
                    if (jar == null || name == null) {
                        error(resp, HttpServletResponse.SC_BAD_REQUEST, "upgrade needs a module name and an uploaded bundle");
                        return;
                    }
                    try (jar) {
                        result = modules.upgrade(name, jar);
                    }
                }
                case "enable" -> result = modules.enable(required(name));
                case "disable" -> result = modules.disable(required(name));
                case "remove" -> {
                    modules.remove(required(name));
                    sendJson(resp, HttpServletResponse.SC_OK, JSON.createObjectBuilder().add("removed", name));
                    return;
                }
                default -> {
                    error(resp, HttpServletResponse.SC_BAD_REQUEST, "action must be one of install, upgrade, enable, disable, remove");
                    return;
                }
            }
            sendJson(resp, HttpServletResponse.SC_OK, JSON.createObjectBuilder().add("module", toJson(result)));
        } catch (ModuleException e) {
            error(resp, status(e.reason()), e.getMessage());
        } catch (BadRequest e) {
            error(resp, HttpServletResponse.SC_BAD_REQUEST, e.getMessage());
        }
    }

    static int status(ModuleException.Reason reason) {
        return switch (reason) {
            case UNKNOWN_MODULE -> HttpServletResponse.SC_NOT_FOUND;
            case INVALID_INPUT -> HttpServletResponse.SC_BAD_REQUEST;
            case CONFLICT -> HttpServletResponse.SC_CONFLICT;
            case RESOLUTION -> 422;
            case INTERNAL -> HttpServletResponse.SC_INTERNAL_SERVER_ERROR;
        };
    }

    /** The uploaded jar: part {@code bundle} of a multipart form, else a non-empty jar body. */
    private static InputStream upload(HttpServletRequest req) throws IOException, BadRequest {
        String type = req.getContentType() == null ? "" : req.getContentType().toLowerCase();
        if (type.startsWith("multipart/form-data")) {
            try {
                Part part = req.getPart("bundle");
                return part == null || part.getSize() == 0 ? null : part.getInputStream();
            } catch (ServletException | IllegalStateException e) {
                throw new BadRequest("the multipart upload could not be read (" + e.getMessage()
                        + "); send the jar as the request body with Content-Type: application/java-archive");
            }
        }
        if (type.startsWith("application/java-archive") || type.startsWith("application/octet-stream")
                || type.startsWith("application/zip")) {
            return req.getInputStream();
        }
        return null;
    }

    /**
     * A form field or query parameter. For a multipart request Felix HTTP hands the servlet the
     * form's fields only, so the query string is read here as well.
     */
    static String param(HttpServletRequest req, String name) {
        String v = req.getParameter(name);
        if (v != null || req.getQueryString() == null) {
            return v;
        }
        for (String pair : req.getQueryString().split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            if (key.equals(name)) {
                return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static String required(String name) throws BadRequest {
        if (name == null || name.isBlank()) {
            throw new BadRequest("parameter 'module' is missing");
        }
        return name;
    }

    private static boolean isJson(HttpServletRequest req) {
        return req.getRequestURI().endsWith(".json");
    }

    private static JsonObjectBuilder toJson(ModuleInfo m) {
        var bundles = JSON.createArrayBuilder();
        for (BundleInfo b : m.bundles()) {
            bundles.add(JSON.createObjectBuilder().add("id", b.id()).add("symbolicName", b.symbolicName())
                    .add("version", b.version()).add("state", b.state()));
        }
        var requires = JSON.createArrayBuilder();
        m.requires().forEach(requires::add);
        return JSON.createObjectBuilder().add("name", m.name()).add("version", m.version())
                .add("state", m.state().name()).add("required", m.required()).add("source", m.source())
                .add("requires", requires).add("bundles", bundles).add("message", m.message());
    }

    private static void error(HttpServletResponse resp, int status, String message) throws IOException {
        sendJson(resp, status, JSON.createObjectBuilder().add("error", message));
    }

    private static void sendJson(HttpServletResponse resp, int status, JsonObjectBuilder body) throws IOException {
        resp.setStatus(status);
        resp.setContentType("application/json");
        resp.setCharacterEncoding("UTF-8");
        setNoCache(resp);
        try (var w = JSON.createWriterFactory(Map.of()).createWriter(resp.getWriter())) {
            w.write(body.build());
        }
    }

    @Override
    public void renderContent(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        PrintWriter out = resp.getWriter();
        List<ModuleInfo> all = modules.list();
        out.println("<div id='besip-modules'>");
        out.println(org.besip.core.api.web.ConfigLinks.paragraph("besip-modules-configure", "/besip-system:system",
                "which modules are enabled (system/modules), the host name, users of the box"));
        out.println("<p class='statline'>" + all.size() + " modules; enabled: "
                + all.stream().filter(m -> m.state().name().equals("ENABLED")).count() + "</p>");
        out.println("<p id='besip-message' class='statline' role='status'></p>");
        out.println("<table class='tablesorter nicetable' id='besip-module-table'><thead><tr>"
                + "<th>Module</th><th>State</th><th>Version</th><th>Bundles</th><th>Actions</th></tr></thead><tbody>");
        for (ModuleInfo m : all) {
            String n = Encode.forHtmlAttribute(m.name());
            out.print("<tr data-module='" + n + "'><td class='name'>" + Encode.forHtml(m.name())
                    + (m.required() ? " <em>(base)</em>" : "") + "</td>");
            out.print("<td class='state'>" + m.state() + (m.message().isEmpty() ? ""
                    : "<br><small>" + Encode.forHtml(m.message()) + "</small>") + "</td>");
            out.print("<td class='version'>" + Encode.forHtml(m.version()) + "</td><td><ul>");
            for (BundleInfo b : m.bundles()) {
                out.print("<li>" + Encode.forHtml(b.symbolicName() + " " + b.version() + " (" + b.state() + ")") + "</li>");
            }
            out.print("</ul></td><td>");
            if (!m.required()) {
                switch (m.state()) {
                    case AVAILABLE -> out.print(button(n, "install", "Install"));
                    case ENABLED, FAILED -> out.print(button(n, "disable", "Disable") + button(n, "remove", "Remove"));
                    case DISABLED -> out.print(button(n, "enable", "Enable") + button(n, "remove", "Remove"));
                }
                if (m.state() != org.besip.core.api.module.ModuleState.AVAILABLE) {
                    out.print("<form class='besip-upgrade' data-module='" + n + "'>"
                            + "<input type='file' name='bundle' accept='.jar'> <button type='submit'>Upgrade</button></form>");
                }
            }
            out.println("</td></tr>");
        }
        out.println("</tbody></table>");
        out.println("<h3>Install a module from a bundle</h3>");
        out.println("<form id='besip-upload'><input type='file' name='bundle' accept='.jar'>"
                + " <button type='submit'>Install</button></form>");
        out.println("</div>");
        out.println(SCRIPT.replace("$URL", Encode.forJavaScript(LABEL + ".json")));
    }

    private static String button(String module, String action, String label) {
        return "<button type='button' class='besip-action' data-module='" + module + "' data-action='" + action
                + "'>" + label + "</button> ";
    }

    /** Posts every action to the JSON API, shows its answer, reloads on success. */
    private static final String SCRIPT = """
            <script>
            (function () {
              // origin + path: a page opened as http://user:pw@host/... must not pass credentials to fetch
              const url = location.origin + location.pathname.replace(/[^/]*$/, '') + '$URL';
              const msg = document.getElementById('besip-message');
              async function send(params, file) {
                const q = new URLSearchParams(params).toString();
                const init = { method: 'POST', credentials: 'same-origin' };
                if (file) { init.body = file; init.headers = { 'Content-Type': 'application/java-archive' }; }
                try {
                  const r = await fetch(url + '?' + q, init);
                  const body = await r.json().catch(() => ({ error: 'HTTP ' + r.status }));
                  if (r.ok) { location.reload(); } else { msg.textContent = body.error || ('HTTP ' + r.status); }
                } catch (e) {
                  msg.textContent = 'request failed: ' + e;
                }
              }
              document.querySelectorAll('.besip-action').forEach(b => b.addEventListener('click', () =>
                send({ action: b.dataset.action, module: b.dataset.module })));
              document.querySelectorAll('.besip-upgrade').forEach(f => f.addEventListener('submit', e => {
                e.preventDefault();
                const file = f.querySelector('input[type=file]').files[0];
                if (file) { send({ action: 'upgrade', module: f.dataset.module }, file); }
              }));
              document.getElementById('besip-upload').addEventListener('submit', e => {
                e.preventDefault();
                const file = e.target.querySelector('input[type=file]').files[0];
                if (file) { send({ action: 'install' }, file); }
              });
            })();
            </script>
            """;

    /** A request that lacks what the action needs. */
    private static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message);
        }
    }
}
