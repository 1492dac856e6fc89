package org.besip.netconf.internal.yang;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled schema node (RFC 7950 §3). Choices and cases are kept (for mandatory choices and
 * case exclusivity) but data lookups go through {@link #dataChild}, which looks through them.
 */
public final class SchemaNode {

    public enum Kind { CONTAINER, LIST, LEAF, LEAF_LIST, CHOICE, CASE, ANYDATA, RPC, INPUT, OUTPUT, NOTIFICATION }

    /** A must or when expression with the prefixes in scope where it was written. */
    public record Constraint(String xpath, String errorMessage, String errorAppTag, Map<String, String> prefixes,
            String defaultNamespace, String where) {
    }

    /**
     * RFC 7950 §7.21.5: a node's own when is evaluated on the node itself; a when inherited from a
     * uses or augment on the closest ancestor data node.
     */
    boolean whenOnParent;

    final Kind kind;
    final String name;
    final String namespace;
    final String module;
    SchemaNode parent;
    final Map<String, SchemaNode> children = new LinkedHashMap<>();
    boolean config = true;
    boolean presence;
    boolean mandatory;
    String defaultValue;
    List<String> defaults = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    List<List<String>> uniques = new ArrayList<>();
    Integer minElements;
    Integer maxElements;
    boolean orderedByUser;
    YangType type;
    String units;
    String description;
    final List<Constraint> musts = new ArrayList<>();
    Constraint when;
    String where;

    SchemaNode(Kind kind, String name, String namespace, String module) {
        this.kind = kind;
        this.name = name;
        this.namespace = namespace;
        this.module = module;
    }

    static String key(String namespace, String name) {
        return namespace + "|" + name;
    }

    void add(SchemaNode child) throws YangException {
        String k = key(child.namespace, child.name);
        if (children.containsKey(k) || (isDataNode(child) && dataChild(child.namespace, child.name) != null)) {
            throw new YangException(child.where + ": '" + child.name + "' is already defined in " + path());
        }
        child.parent = this;
        children.put(k, child);
    }

    private static boolean isDataNode(SchemaNode n) {
        return n.kind != Kind.CHOICE && n.kind != Kind.CASE;
    }

    /** The data child with this name, looking through choices and cases. */
    public SchemaNode dataChild(String namespace, String name) {
        SchemaNode direct = children.get(key(namespace, name));
        if (direct != null && isDataNode(direct)) {
            return direct;
        }
        for (SchemaNode c : children.values()) {
            if (!isDataNode(c)) {
                SchemaNode found = c.dataChild(namespace, name);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** Data children in schema order, looking through choices and cases. */
    public List<SchemaNode> dataChildren() {
        List<SchemaNode> out = new ArrayList<>();
        for (SchemaNode c : children.values()) {
            if (isDataNode(c)) {
                out.add(c);
            } else {
                out.addAll(c.dataChildren());
            }
        }
        return out;
    }

    /** The case (if any) directly under {@code choice} that holds this node. */
    SchemaNode caseUnder(SchemaNode choice) {
        SchemaNode n = this;
        while (n.parent != null && n.parent != choice) {
            n = n.parent;
        }
        return n.parent == choice ? n : null;
    }

    public Kind kind() {
        return kind;
    }

    public String name() {
        return name;
    }

    public String namespace() {
        return namespace;
    }

    public String module() {
        return module;
    }

    public SchemaNode parent() {
        return parent;
    }

    public Map<String, SchemaNode> children() {
        return children;
    }

    public boolean config() {
        return config;
    }

    public boolean presence() {
        return presence;
    }

    public boolean mandatory() {
        return mandatory;
    }

    public String defaultValue() {
        return defaultValue;
    }

    public List<String> defaults() {
        return defaults;
    }

    public List<String> keys() {
        return keys;
    }

    public List<List<String>> uniques() {
        return uniques;
    }

    public Integer minElements() {
        return minElements;
    }

    public Integer maxElements() {
        return maxElements;
    }

    public YangType type() {
        return type;
    }

    /** The {@code units} statement, or null. */
    public String units() {
        return units;
    }

    public boolean orderedByUser() {
        return orderedByUser;
    }

    public String description() {
        return description;
    }

    public List<Constraint> musts() {
        return musts;
    }

    public Constraint when() {
        return when;
    }

    /** Readable path, e.g. {@code /besip-system:system/hostname}; choices and cases are skipped. */
    public String path() {
        SchemaNode p = parent;
        while (p != null && (p.kind == Kind.CHOICE || p.kind == Kind.CASE)) {
            p = p.parent;
        }
        if (p != null && p.parent == null && p.name.isEmpty()) {
            p = null; // the schema's root holds the top-level nodes
        }
        if (kind == Kind.CHOICE || kind == Kind.CASE) {
            return p == null ? "" : p.path();
        }
        String up = p == null ? "" : p.path();
        boolean qualify = p == null || !p.module.equals(module);
        return up + "/" + (qualify ? module + ":" : "") + name;
    }

    @Override
    public String toString() {
        return kind + " " + path();
    }
}
