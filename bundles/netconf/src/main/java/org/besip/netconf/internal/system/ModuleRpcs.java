package org.besip.netconf.internal.system;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

import org.besip.core.api.module.ModuleException;
import org.besip.core.api.module.ModuleInfo;
import org.besip.core.api.module.ModuleManager;
import org.besip.netconf.internal.ops.NetconfServer;
import org.besip.netconf.internal.ops.Session;
import org.besip.netconf.internal.protocol.RpcError;
import org.besip.netconf.internal.yang.DataTrees;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * besip-system:install-module, upgrade-module and remove-module: the module manager over NETCONF.
 * The bundle is fetched from the URL (http, https, or file inside the box's files folder), its
 * SHA-256 checked before anything is installed.
 */
public final class ModuleRpcs {

    static final String SYS = SystemApplier.SYS;
    static final long MAX_BYTES = 64L << 20;

    private final ModuleManager modules;
    private final Path filesDir;

    public ModuleRpcs(ModuleManager modules, Path filesDir) {
        this.modules = modules;
        this.filesDir = filesDir;
    }

    private NetconfServer server;

    public void register(NetconfServer server) {
        this.server = server;
        server.addStateProvider(this::modulesState);
        server.registerRpc(SYS, "install-module", (in, reply, s) -> version(reply, fetchAndRun(in, true)));
        server.registerRpc(SYS, "upgrade-module", (in, reply, s) -> version(reply, fetchAndRun(in, false)));
        server.registerRpc(SYS, "remove-module", this::remove);
    }

    /** modules-state: each module's name, version, state and whether it is required (a get's state data). */
    private void modulesState(Element data) {
        Document d = data.getOwnerDocument();
        Element state = d.createElementNS(SYS, "modules-state");
        for (ModuleInfo m : modules.list()) {
            Element e = d.createElementNS(SYS, "module");
            for (String[] kv : new String[][] { { "name", m.name() }, { "version", m.version() }, { "state", String.valueOf(m.state()) },
                    { "required", String.valueOf(m.required()) } }) {
                Element leaf = d.createElementNS(SYS, kv[0]);
                leaf.setTextContent(kv[1]);
                e.appendChild(leaf);
            }
            state.appendChild(e);
        }
        data.appendChild(state);
    }

    private List<Element> remove(Element in, Document reply, Session s) throws RpcError {
        try {
            String name = required(in, "name");
            modules.remove(name);
            server.forgetModule(name);
            return null;
        } catch (ModuleException e) {
            throw failed(e);
        }
    }

    private ModuleInfo fetchAndRun(Element in, boolean install) throws RpcError {
        String name = required(in, "name");
        String url = required(in, "url");
        String sha = required(in, "sha256").toLowerCase();
        byte[] jar = fetch(url);
        String actual = sha256(jar);
        if (!actual.equals(sha)) {
            throw new RpcError("application", "invalid-value", null, "/besip-system:install-module/sha256", "sha256",
                    "the bundle at " + url + " has SHA-256 " + actual + ", not " + sha + "; nothing was installed");
        }
        try {
            if (install) {
                ModuleInfo m = modules.installBundle(new ByteArrayInputStream(jar));
                if (!m.name().equals(name)) {
                    modules.remove(m.name());
                    throw RpcError.application("invalid-value", "the bundle forms module '" + m.name() + "', not '" + name
                            + "'; nothing was installed");
                }
                return m;
            }
            return modules.upgrade(name, new ByteArrayInputStream(jar));
        } catch (ModuleException e) {
            throw failed(e);
        }
    }

    private byte[] fetch(String url) throws RpcError {
        try {
            URI uri = URI.create(url);
            if ("file".equals(uri.getScheme())) {
                Path p = filesDir.resolve(uri.getPath().replaceFirst("^/+", "")).normalize();
                if (!p.startsWith(filesDir)) {
                    throw RpcError.application("invalid-value", "file: URLs name files inside " + filesDir);
                }
                if (Files.size(p) > MAX_BYTES) {
                    throw RpcError.application("invalid-value", url + " is larger than " + (MAX_BYTES >> 20) + " MiB");
                }
                return Files.readAllBytes(p);
            }
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw RpcError.application("invalid-value", "the URL must be http, https or file");
            }
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
            HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                throw RpcError.application("operation-failed", url + " answered HTTP " + r.statusCode());
            }
            try (InputStream body = r.body()) {
                byte[] data = body.readNBytes((int) MAX_BYTES + 1);
                if (data.length > MAX_BYTES) {
                    throw RpcError.application("invalid-value", url + " is larger than " + (MAX_BYTES >> 20) + " MiB");
                }
                return data;
            }
        } catch (IllegalArgumentException e) {
            throw RpcError.application("invalid-value", "'" + url + "' is not a URL");
        } catch (IOException e) {
            throw RpcError.application("operation-failed", "cannot fetch " + url + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw RpcError.application("operation-failed", "interrupted while fetching " + url);
        }
    }

    private static List<Element> version(Document reply, ModuleInfo m) {
        Element v = reply.createElementNS(SYS, "version");
        v.setTextContent(m.version());
        return List.of(v);
    }

    private static RpcError failed(ModuleException e) {
        String tag = switch (e.reason()) {
            case UNKNOWN_MODULE, INVALID_INPUT -> "invalid-value";
            case CONFLICT -> "data-exists";
            default -> "operation-failed";
        };
        return RpcError.application(tag, e.getMessage());
    }

    private static String required(Element in, String name) throws RpcError {
        Element c = DataTrees.child(in, SYS, name);
        if (c == null || c.getTextContent().isBlank()) {
            throw RpcError.badElement("protocol", "missing-element", name, in.getLocalName() + " needs <" + name + ">");
        }
        return c.getTextContent().trim();
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
