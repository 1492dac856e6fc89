package org.besip.netconf.internal.yang;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.besip.netconf.internal.yang.SchemaNode.Constraint;
import org.besip.netconf.internal.yang.SchemaNode.Kind;

/**
 * Compiles parsed YANG modules into one {@link Schema}: resolves imports, typedefs, groupings
 * (uses with refine), augments, identities, and collects every restriction a validator needs.
 * The subset is what configuration models use (RFC 7950 §7); deviations and submodules are refused
 * with a clear error rather than ignored.
 */
public final class SchemaCompiler {

    /** A module's text and its parsed statements. */
    public record Source(Statement module, String text) {
    }

    private static final int MAX_USES_DEPTH = 32;

    /** What a module's statements may refer to: its namespace and its import prefixes. */
    private record ModuleContext(String name, String namespace, String prefix, Map<String, String> prefixToModule,
            Statement stmt) {
    }

    /** Typedefs and groupings visible at a point, innermost first. */
    private record Scope(ModuleContext module, Map<String, Statement> typedefs, Map<String, Statement> groupings,
            Scope parent) {

        Statement typedef(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                if (s.typedefs.containsKey(name)) {
                    return s.typedefs.get(name);
                }
            }
            return null;
        }

        Statement grouping(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                if (s.groupings.containsKey(name)) {
                    return s.groupings.get(name);
                }
            }
            return null;
        }
    }

    private final Map<String, ModuleContext> contexts = new LinkedHashMap<>();
    private final Map<String, Scope> moduleScopes = new HashMap<>();
    /** The scope each typedef and grouping statement was defined in. */
    private final Map<Statement, Scope> definedIn = new HashMap<>();
    private final Schema schema = new Schema();

    private SchemaCompiler() {
    }

    public static Schema compile(List<Source> sources) throws YangException {
        return new SchemaCompiler().run(sources);
    }

    private Schema run(List<Source> sources) throws YangException {
        for (Source src : sources) {
            Statement m = src.module();
            if (m.keyword().equals("submodule")) {
                throw new YangException(m.where() + ": submodules are not supported; merge '" + m.argument() + "' into its module");
            }
            String ns = required(m, "namespace");
            String prefix = required(m, "prefix");
            if (contexts.containsKey(m.argument())) {
                throw new YangException(m.where() + ": module " + m.argument() + " is loaded twice");
            }
            Map<String, String> prefixes = new HashMap<>();
            prefixes.put(prefix, m.argument());
            for (Statement imp : m.all("import")) {
                prefixes.put(required(imp, "prefix"), imp.argument());
            }
            contexts.put(m.argument(), new ModuleContext(m.argument(), ns, prefix, prefixes, m));
            String revision = m.all("revision").stream().map(Statement::argument).max(String::compareTo).orElse(null);
            schema.modules.put(m.argument(), new Schema.ModuleInfo(m.argument(), revision, ns, prefix, m.source(), src.text()));
        }
        for (ModuleContext mc : contexts.values()) {
            for (Statement imp : mc.stmt.all("import")) {
                if (!contexts.containsKey(imp.argument())) {
                    throw new YangException(imp.where() + ": module " + mc.name + " imports " + imp.argument()
                            + ", which is not loaded");
                }
            }
            Scope scope = scopeOf(mc.stmt, mc, null);
            moduleScopes.put(mc.name, scope);
            if (!mc.stmt.all("deviation").isEmpty()) {
                throw new YangException(mc.stmt.all("deviation").get(0).where() + ": deviations are not supported");
            }
        }
        for (ModuleContext mc : contexts.values()) {
            for (Statement id : mc.stmt.all("identity")) {
                Set<String> bases = new LinkedHashSet<>();
                for (Statement b : id.all("base")) {
                    bases.add(qualify(b.argument(), mc, b));
                }
                schema.identityBases.put(SchemaNode.key(mc.namespace, id.argument()), bases);
            }
        }
        for (ModuleContext mc : contexts.values()) {
            Scope scope = moduleScopes.get(mc.name);
            for (Statement s : mc.stmt.children()) {
                switch (s.keyword()) {
                    case "rpc" -> {
                        SchemaNode rpc = node(Kind.RPC, s, mc);
                        for (String io : List.of("input", "output")) {
                            SchemaNode part = new SchemaNode(io.equals("input") ? Kind.INPUT : Kind.OUTPUT, io, mc.namespace, mc.name);
                            part.where = s.where();
                            Statement st = s.first(io).orElse(null);
                            if (st != null) {
                                children(part, st, mc, scopeOf(st, mc, scopeOf(s, mc, scope)), 0);
                            }
                            rpc.add(part);
                        }
                        schema.rpcs.put(SchemaNode.key(mc.namespace, s.argument()), rpc);
                    }
                    case "notification" -> {
                        SchemaNode n = node(Kind.NOTIFICATION, s, mc);
                        children(n, s, mc, scopeOf(s, mc, scope), 0);
                        schema.notifications.put(SchemaNode.key(mc.namespace, s.argument()), n);
                    }
                    default -> dataDefinition(schema.root, s, mc, scope, 0);
                }
            }
        }
        for (ModuleContext mc : contexts.values()) {
            for (Statement aug : mc.stmt.all("augment")) {
                augment(aug, mc);
            }
        }
        checkLists(schema.root);
        return schema;
    }

    // ---- scopes and names ----

    private Scope scopeOf(Statement s, ModuleContext mc, Scope parent) {
        Map<String, Statement> typedefs = new HashMap<>();
        Map<String, Statement> groupings = new HashMap<>();
        Scope scope = new Scope(mc, typedefs, groupings, parent);
        for (Statement t : s.all("typedef")) {
            typedefs.put(t.argument(), t);
            definedIn.put(t, scope);
        }
        for (Statement g : s.all("grouping")) {
            groupings.put(g.argument(), g);
            definedIn.put(g, scope);
        }
        return scope;
    }

    /** {@code prefix:name} or {@code name} to {@code namespace|name}. */
    private String qualify(String ref, ModuleContext mc, Statement at) throws YangException {
        int colon = ref.indexOf(':');
        if (colon < 0) {
            return SchemaNode.key(mc.namespace, ref);
        }
        return SchemaNode.key(moduleFor(ref.substring(0, colon), mc, at).namespace, ref.substring(colon + 1));
    }

    private ModuleContext moduleFor(String prefix, ModuleContext mc, Statement at) throws YangException {
        String module = mc.prefixToModule.get(prefix);
        if (module == null || !contexts.containsKey(module)) {
            throw new YangException(at.where() + ": unknown prefix '" + prefix + "'");
        }
        return contexts.get(module);
    }

    /** Prefix to namespace, for XPath in must/when and leafref paths. */
    private Map<String, String> namespaces(ModuleContext mc) {
        Map<String, String> out = new HashMap<>();
        mc.prefixToModule.forEach((p, m) -> out.put(p, contexts.get(m).namespace));
        return out;
    }

    private static String required(Statement s, String kw) throws YangException {
        String v = s.arg(kw);
        if (v == null) {
            throw new YangException(s.where() + ": " + s.keyword() + " " + s.argument() + " has no " + kw);
        }
        return v;
    }

    // ---- data definitions ----

    private SchemaNode node(Kind kind, Statement s, ModuleContext mc) {
        SchemaNode n = new SchemaNode(kind, s.argument(), mc.namespace, mc.name);
        n.where = s.where();
        n.description = s.arg("description");
        return n;
    }

    private void children(SchemaNode parent, Statement s, ModuleContext mc, Scope scope, int depth) throws YangException {
        for (Statement c : s.children()) {
            dataDefinition(parent, c, mc, scope, depth);
        }
    }

    private void dataDefinition(SchemaNode parent, Statement s, ModuleContext mc, Scope scope, int depth) throws YangException {
        switch (s.keyword()) {
            case "container" -> {
                SchemaNode n = common(node(Kind.CONTAINER, s, mc), s, parent, scope);
                n.presence = s.first("presence").isPresent();
                parent.add(n);
                children(n, s, mc, scopeOf(s, scope.module, scope), depth);
            }
            case "list" -> {
                SchemaNode n = common(node(Kind.LIST, s, mc), s, parent, scope);
                String key = s.arg("key");
                if (key != null) {
                    n.keys = Arrays.asList(key.trim().split("\\s+")).stream().map(SchemaCompiler::local).toList();
                } else if (n.config) {
                    throw new YangException(s.where() + ": list " + s.argument() + " holds configuration but has no key");
                }
                for (Statement u : s.all("unique")) {
                    List<String> paths = new ArrayList<>();
                    for (String p : u.argument().trim().split("\\s+")) {
                        paths.add(String.join("/", Arrays.stream(p.split("/")).map(SchemaCompiler::local).toList()));
                    }
                    n.uniques.add(paths);
                }
                elements(n, s);
                n.orderedByUser = "user".equals(s.arg("ordered-by"));
                parent.add(n);
                children(n, s, mc, scopeOf(s, scope.module, scope), depth);
            }
            case "leaf", "leaf-list" -> {
                SchemaNode n = common(node(s.keyword().equals("leaf") ? Kind.LEAF : Kind.LEAF_LIST, s, mc), s, parent, scope);
                Statement type = s.first("type").orElseThrow(() -> new YangException(s.where() + ": " + s.keyword() + " "
                        + s.argument() + " has no type"));
                n.type = type(type, scope, 0);
                n.units = s.arg("units");
                n.mandatory = "true".equals(s.arg("mandatory"));
                if (n.kind == Kind.LEAF) {
                    n.defaultValue = s.arg("default") != null ? s.arg("default") : typedefDefault(type, scope);
                    if (n.defaultValue != null && n.type.check(n.defaultValue, null) != null) {
                        throw new YangException(s.where() + ": default " + n.type.check(n.defaultValue, null));
                    }
                } else {
                    s.all("default").forEach(d -> n.defaults.add(d.argument()));
                    elements(n, s);
                    n.orderedByUser = "user".equals(s.arg("ordered-by"));
                }
                parent.add(n);
            }
            case "choice" -> {
                SchemaNode n = common(node(Kind.CHOICE, s, mc), s, parent, scope);
                n.mandatory = "true".equals(s.arg("mandatory"));
                n.defaultValue = s.arg("default");
                parent.add(n);
                Scope inner = scopeOf(s, scope.module, scope);
                for (Statement c : s.children()) {
                    switch (c.keyword()) {
                        case "case" -> {
                            SchemaNode cs = common(node(Kind.CASE, c, mc), c, n, inner);
                            n.add(cs);
                            children(cs, c, mc, scopeOf(c, scope.module, inner), depth);
                        }
                        case "container", "list", "leaf", "leaf-list", "anydata", "anyxml", "choice" -> {
                            // RFC 7950 §7.9.2 shorthand: the node is its own case
                            SchemaNode cs = node(Kind.CASE, c, mc);
                            cs.config = n.config;
                            n.add(cs);
                            dataDefinition(cs, c, mc, inner, depth);
                        }
                        default -> {
                        }
                    }
                }
            }
            case "anydata", "anyxml" -> parent.add(common(node(Kind.ANYDATA, s, mc), s, parent, scope));
            case "uses" -> uses(parent, s, mc, scope, depth);
            default -> {
                // typedef, grouping, description, must (handled by common) and other statements
            }
        }
    }

    private SchemaNode common(SchemaNode n, Statement s, SchemaNode parent, Scope scope) throws YangException {
        String config = s.arg("config");
        n.config = parent.config && !"false".equals(config);
        if ("true".equals(config) && !parent.config) {
            throw new YangException(s.where() + ": config true under config false");
        }
        Map<String, String> ns = namespaces(scope.module);
        for (Statement m : s.all("must")) {
            n.musts.add(new Constraint(m.argument(), m.arg("error-message"), m.arg("error-app-tag"), ns,
                    scope.module.namespace, m.where()));
        }
        s.first("when").ifPresent(w -> n.when = new Constraint(w.argument(), null, null, ns, scope.module.namespace, w.where()));
        return n;
    }

    private static void elements(SchemaNode n, Statement s) throws YangException {
        try {
            if (s.arg("min-elements") != null) {
                n.minElements = Integer.parseInt(s.arg("min-elements"));
            }
            if (s.arg("max-elements") != null && !"unbounded".equals(s.arg("max-elements"))) {
                n.maxElements = Integer.parseInt(s.arg("max-elements"));
            }
        } catch (NumberFormatException e) {
            throw new YangException(s.where() + ": min-elements/max-elements must be numbers");
        }
    }

    private void uses(SchemaNode parent, Statement s, ModuleContext mc, Scope scope, int depth) throws YangException {
        if (depth > MAX_USES_DEPTH) {
            throw new YangException(s.where() + ": groupings nest deeper than " + MAX_USES_DEPTH + " (a grouping that uses itself?)");
        }
        String ref = s.argument();
        Statement grouping = definition(ref, scope, s, false);
        if (grouping == null) {
            throw new YangException(s.where() + ": grouping '" + ref + "' is not defined");
        }
        Scope gs = scopeOf(grouping, definedIn.get(grouping).module, definedIn.get(grouping));
        // the grouping's nodes take the namespace of the module that uses it; names resolve where it was written
        int before = parent.children.size();
        SchemaNode holder = new SchemaNode(parent.kind, parent.name, parent.namespace, parent.module);
        holder.config = parent.config;
        holder.parent = parent.parent;
        children(holder, grouping, mc, gs, depth + 1);
        for (SchemaNode c : holder.children.values()) {
            parent.add(c);
        }
        for (Statement r : s.all("refine")) {
            refine(parent, r);
        }
        s.first("when").ifPresent(w -> {
            Constraint when = new Constraint(w.argument(), null, null, namespaces(scope.module), scope.module.namespace,
                    w.where());
            parent.children.values().stream().skip(before).forEach(c -> {
                c.when = when;
                c.whenOnParent = true;
            });
        });
    }

    private static void refine(SchemaNode base, Statement r) throws YangException {
        SchemaNode target = base;
        for (String seg : r.argument().split("/")) {
            SchemaNode next = null;
            for (SchemaNode c : target.children.values()) {
                if (c.name.equals(local(seg))) {
                    next = c;
                }
            }
            if (next == null) {
                throw new YangException(r.where() + ": refine target '" + r.argument() + "' not found");
            }
            target = next;
        }
        if (r.arg("default") != null) {
            target.defaultValue = r.arg("default");
        }
        if (r.arg("mandatory") != null) {
            target.mandatory = "true".equals(r.arg("mandatory"));
        }
        if (r.arg("description") != null) {
            target.description = r.arg("description");
        }
        if (r.first("presence").isPresent()) {
            target.presence = true;
        }
        elements(target, r);
    }

    private void augment(Statement aug, ModuleContext mc) throws YangException {
        SchemaNode target = schema.root;
        for (String seg : aug.argument().split("/")) {
            if (seg.isEmpty()) {
                continue;
            }
            String qualified = qualify(seg, mc, aug);
            SchemaNode next = target.children.get(qualified);
            if (next == null) {
                int bar = qualified.indexOf('|');
                next = target.dataChild(qualified.substring(0, bar), qualified.substring(bar + 1));
            }
            if (next == null) {
                throw new YangException(aug.where() + ": augment target '" + aug.argument() + "' not found");
            }
            target = next;
        }
        int before = target.children.size();
        children(target, aug, mc, scopeOf(aug, mc, moduleScopes.get(mc.name)), 0);
        if (aug.first("when").isPresent()) {
            Statement w = aug.first("when").get();
            Constraint when = new Constraint(w.argument(), null, null, namespaces(mc), mc.namespace, w.where());
            target.children.values().stream().skip(before).forEach(c -> {
                c.when = when;
                c.whenOnParent = true;
            });
        }
    }

    private static void checkLists(SchemaNode n) throws YangException {
        if (n.kind == Kind.LIST) {
            for (String k : n.keys) {
                SchemaNode leaf = n.children.values().stream().filter(c -> c.name.equals(k) && c.kind == Kind.LEAF)
                        .findFirst().orElse(null);
                if (leaf == null) {
                    throw new YangException(n.where + ": key '" + k + "' of list " + n.name + " is not a leaf of the list");
                }
                leaf.mandatory = true;
            }
        }
        for (SchemaNode c : n.children.values()) {
            checkLists(c);
        }
    }

    // ---- types ----

    private YangType type(Statement t, Scope scope, int depth) throws YangException {
        if (depth > MAX_USES_DEPTH) {
            throw new YangException(t.where() + ": typedefs nest too deep (a typedef that refers to itself?)");
        }
        String name = t.argument();
        YangType base;
        if (name.indexOf(':') < 0 && YangType.BUILTINS.contains(name)) {
            base = new YangType(name, name);
            base.prefixes = namespaces(scope.module);
        } else {
            Statement def = definition(name, scope, t, true);
            Scope defScope;
            if (def == null) {
                throw new YangException(t.where() + ": type '" + name + "' is not defined");
            }
            defScope = definedIn.get(def);
            base = type(def.first("type").orElseThrow(() -> new YangException(def.where() + ": typedef has no type")),
                    defScope, depth + 1).derive(def.argument());
        }
        return restrict(base, t, scope);
    }

    private YangType restrict(YangType type, Statement t, Scope scope) throws YangException {
        YangType r = t.children().isEmpty() ? type : type.derive(type.name);
        for (Statement c : t.children()) {
            switch (c.keyword()) {
                case "range" -> {
                    BigDecimal[] b = r.numericBounds();
                    r.ranges = YangType.parseIntervals(c.argument(), b[0], b[1], c.where());
                    r.rangeError = c.arg("error-message");
                }
                case "length" -> {
                    r.lengths = YangType.parseIntervals(c.argument(), BigDecimal.ZERO, null, c.where());
                    r.lengthError = c.arg("error-message");
                }
                case "pattern" -> r.patterns.add(new YangType.PatternRule(c.argument(), YangType.xsdPattern(c.argument(), c.where()),
                        "invert-match".equals(c.arg("modifier")), c.arg("error-message")));
                case "enum" -> {
                    int value = r.enums.isEmpty() ? 0 : r.enums.values().stream().max(Integer::compare).get() + 1;
                    if (c.arg("value") != null) {
                        value = Integer.parseInt(c.arg("value").trim());
                    }
                    r.enums.put(c.argument(), value);
                }
                case "bit" -> r.bits.add(c.argument());
                case "fraction-digits" -> r.fractionDigits = Integer.parseInt(c.argument().trim());
                case "path" -> {
                    r.leafrefPath = c.argument();
                    r.prefixes = namespaces(scope.module);
                    r.defaultNamespace = scope.module.namespace;
                }
                case "require-instance" -> r.requireInstance = "true".equals(c.argument());
                case "base" -> r.identityBases.add(qualify(c.argument(), scope.module, c));
                case "type" -> r.union.add(type(c, scope, 0));
                default -> {
                }
            }
        }
        if (r.builtin.equals("decimal64") && r.fractionDigits == 0) {
            throw new YangException(t.where() + ": decimal64 needs fraction-digits");
        }
        if (r.builtin.equals("enumeration") && r.enums.isEmpty()) {
            throw new YangException(t.where() + ": enumeration needs at least one enum");
        }
        if (r.builtin.equals("leafref") && r.leafrefPath == null) {
            throw new YangException(t.where() + ": leafref needs a path");
        }
        return r;
    }

    /**
     * A typedef or grouping named {@code ref}: unprefixed or with the module's own prefix, looked
     * up through the enclosing scopes; with an import's prefix, at the top of that module.
     */
    private Statement definition(String ref, Scope scope, Statement at, boolean typedef) throws YangException {
        int colon = ref.indexOf(':');
        if (colon >= 0) {
            ModuleContext owner = moduleFor(ref.substring(0, colon), scope.module, at);
            if (!owner.name.equals(scope.module.name)) {
                Scope top = moduleScopes.get(owner.name);
                return (typedef ? top.typedefs : top.groupings).get(ref.substring(colon + 1));
            }
        }
        return typedef ? scope.typedef(local(ref)) : scope.grouping(local(ref));
    }

    private String typedefDefault(Statement type, Scope scope) throws YangException {
        String name = type.argument();
        if (name.indexOf(':') < 0 && YangType.BUILTINS.contains(name)) {
            return null;
        }
        Statement def = definition(name, scope, type, true);
        if (def == null) {
            return null;
        }
        if (def.arg("default") != null) {
            return def.arg("default");
        }
        Statement inner = def.first("type").orElse(null);
        return inner == null ? null : typedefDefault(inner, definedIn.get(def));
    }

    static String local(String qualified) {
        int colon = qualified.indexOf(':');
        return colon < 0 ? qualified : qualified.substring(colon + 1);
    }
}
