package org.besip.netconf.internal.yang;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.util.tracker.BundleTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects {@code yang/*.yang} from every active bundle (design §4) and compiles them together;
 * a bundle that stops takes its modules with it (its data stays in the datastores). A module that
 * does not compile is reported with file, line and column and left out, the others still load.
 */
public final class SchemaRegistry extends BundleTracker<List<SchemaCompiler.Source>> {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistry.class);

    private final Map<Bundle, List<SchemaCompiler.Source>> byBundle = Collections.synchronizedMap(new LinkedHashMap<>());
    private final Consumer<Schema> onChange;
    private volatile Schema schema;

    public SchemaRegistry(BundleContext ctx, Consumer<Schema> onChange) {
        super(ctx, Bundle.ACTIVE | Bundle.STARTING, null);
        this.onChange = onChange;
        this.schema = compileAll(List.of());
    }

    public Schema schema() {
        return schema;
    }

    @Override
    public List<SchemaCompiler.Source> addingBundle(Bundle bundle, BundleEvent event) {
        Enumeration<URL> entries = bundle.findEntries("yang", "*.yang", false);
        if (entries == null) {
            return null;
        }
        List<SchemaCompiler.Source> sources = new ArrayList<>();
        while (entries.hasMoreElements()) {
            URL u = entries.nextElement();
            String name = bundle.getSymbolicName() + "!" + u.getPath();
            try (InputStream in = u.openStream()) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                sources.add(new SchemaCompiler.Source(YangParser.parse(text, name), text));
            } catch (IOException | YangException e) {
                LOG.error("YANG module not loaded: {}", e.getMessage());
            }
        }
        byBundle.put(bundle, sources);
        rebuild();
        return sources;
    }

    @Override
    public void removedBundle(Bundle bundle, BundleEvent event, List<SchemaCompiler.Source> sources) {
        byBundle.remove(bundle);
        rebuild();
    }

    private void rebuild() {
        List<SchemaCompiler.Source> all = new ArrayList<>();
        synchronized (byBundle) {
            byBundle.values().forEach(all::addAll);
        }
        schema = compileAll(all);
        onChange.accept(schema);
    }

    /**
     * Compiles everything; when that fails, leaves out modules one at a time until the rest
     * compiles, so one broken module cannot take the others down.
     */
    static Schema compileAll(List<SchemaCompiler.Source> sources) {
        List<SchemaCompiler.Source> ok = new ArrayList<>(sources);
        while (true) {
            try {
                return SchemaCompiler.compile(ok);
            } catch (YangException e) {
                String where = e.getMessage();
                SchemaCompiler.Source culprit = ok.stream().filter(s -> where.startsWith(s.module().source() + ":"))
                        .findFirst().orElse(ok.isEmpty() ? null : ok.get(ok.size() - 1));
                LOG.error("YANG module {} left out: {}", culprit == null ? "?" : culprit.module().argument(), where);
                if (culprit == null) {
                    return new Schema();
                }
                ok.remove(culprit);
            }
        }
    }
}
