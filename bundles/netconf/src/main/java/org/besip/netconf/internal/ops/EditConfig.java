package org.besip.netconf.internal.ops;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import org.besip.netconf.internal.protocol.RpcError;
import org.besip.netconf.internal.yang.DataTrees;
import org.besip.netconf.internal.yang.Schema;
import org.besip.netconf.internal.yang.SchemaNode;
import org.besip.netconf.internal.yang.SchemaNode.Kind;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Applies an {@code <edit-config>}'s {@code <config>} to a data tree (RFC 6241 §7.2): merge,
 * replace, create, delete, remove, per element or by default-operation, matching list entries by
 * their keys and leaf-list entries by value. Works on the tree it is given; the caller hands it a
 * copy and keeps or drops the result.
 */
public final class EditConfig {

    public static final String NC = "urn:ietf:params:xml:ns:netconf:base:1.0";

    public enum Op { MERGE, REPLACE, CREATE, DELETE, REMOVE, NONE }

    private final Schema schema;
    private final boolean continueOnError;
    private final List<RpcError> errors = new ArrayList<>();

    private EditConfig(Schema schema, boolean continueOnError) {
        this.schema = schema;
        this.continueOnError = continueOnError;
    }

    /**
     * @param target the datastore's {@code <data>} element, changed in place
     * @param config the {@code <config>} element of the request
     * @return errors; with stop-on-error the first one is thrown instead
     */
    public static List<RpcError> apply(Schema schema, Element target, Element config, Op defaultOp, boolean continueOnError)
            throws RpcError {
        EditConfig e = new EditConfig(schema, continueOnError);
        for (Element child : DataTrees.children(config)) {
            e.edit(schema.root(), target, child, defaultOp, "");
        }
        return e.errors;
    }

    private void edit(SchemaNode schemaParent, Element targetParent, Element edit, Op inherited, String path) throws RpcError {
        try {
            editOne(schemaParent, targetParent, edit, inherited, path);
        } catch (RpcError e) {
            if (!continueOnError) {
                throw e;
            }
            errors.add(e);
        }
    }

    private void editOne(SchemaNode schemaParent, Element targetParent, Element edit, Op inherited, String path) throws RpcError {
        String ns = DataTrees.nsOf(edit);
        SchemaNode s = schemaParent.dataChild(ns, edit.getLocalName());
        String here = path + "/" + edit.getLocalName();
        if (s == null) {
            throw new RpcError("application", "unknown-element", null, here, edit.getLocalName(),
                    "'" + edit.getLocalName() + "' is not in the schema" + (ns.isEmpty() ? " (no namespace given)" : "")
                            + (schemaParent.name().isEmpty() ? "" : " under " + schemaParent.path()));
        }
        if (!s.config()) {
            throw new RpcError("application", "invalid-value", null, here, edit.getLocalName(),
                    "'" + s.name() + "' is state data and cannot be configured");
        }
        Op op = operation(edit, inherited, here);
        Element existing = find(s, targetParent, edit, here);
        switch (op) {
            case CREATE -> {
                if (existing != null) {
                    throw new RpcError("application", "data-exists", null, here, edit.getLocalName(),
                            "'" + s.name() + "' already exists; create refuses to overwrite it");
                }
                insert(s, targetParent, edit, here);
            }
            case DELETE -> {
                if (existing == null) {
                    throw new RpcError("application", "data-missing", null, here, edit.getLocalName(),
                            "'" + s.name() + "' does not exist, so it cannot be deleted");
                }
                targetParent.removeChild(existing);
                removed(s, targetParent, existing);
            }
            case REMOVE -> {
                if (existing != null) {
                    targetParent.removeChild(existing);
                    removed(s, targetParent, existing);
                }
            }
            case REPLACE -> {
                Node before = existing == null ? null : existing.getNextSibling();
                if (existing != null) {
                    targetParent.removeChild(existing);
                    removed(s, targetParent, existing);
                }
                Element copy = stripped(targetParent, edit);
                targetParent.insertBefore(copy, before);
                added(s, targetParent, copy);
            }
            case MERGE, NONE -> {
                if (s.kind() == Kind.LEAF || s.kind() == Kind.LEAF_LIST || s.kind() == Kind.ANYDATA) {
                    if (op == Op.NONE) {
                        return;
                    }
                    if (existing == null) {
                        insert(s, targetParent, edit, here);
                    } else if (s.kind() != Kind.LEAF_LIST) {
                        Element copy = stripped(targetParent, edit);
                        targetParent.replaceChild(copy, existing);
                        removed(s, targetParent, existing);
                        added(s, targetParent, copy);
                    }
                    return;
                }
                if (existing == null) {
                    if (op == Op.NONE && !hasOperations(edit)) {
                        throw new RpcError("application", "data-missing", null, here, edit.getLocalName(),
                                "'" + s.name() + "' does not exist (default-operation none)");
                    }
                    existing = targetParent.getOwnerDocument().createElementNS(s.namespace(), edit.getLocalName());
                    targetParent.appendChild(existing);
                    if (s.kind() == Kind.LIST) {
                        for (String k : s.keys()) {
                            Element key = DataTrees.child(edit, s.namespace(), k);
                            existing.appendChild(targetParent.getOwnerDocument().importNode(key, true));
                        }
                        added(s, targetParent, existing);
                    }
                }
                for (Element child : DataTrees.children(edit)) {
                    if (s.kind() == Kind.LIST && s.keys().contains(child.getLocalName()) && s.namespace().equals(DataTrees.nsOf(child))) {
                        continue; // keys identify the entry; they are not edited
                    }
                    edit(s, existing, child, op, here);
                }
            }
        }
    }

    private void insert(SchemaNode s, Element targetParent, Element edit, String here) throws RpcError {
        if (hasDeleteInside(edit)) {
            throw new RpcError("application", "data-missing", null, here, edit.getLocalName(),
                    "'" + s.name() + "' is new, so nothing inside it can be deleted");
        }
        Element copy = stripped(targetParent, edit);
        targetParent.appendChild(copy);
        added(s, targetParent, copy);
    }

    private Op operation(Element e, Op inherited, String here) throws RpcError {
        String attr = e.getAttributeNS(NC, "operation");
        if (attr == null || attr.isEmpty()) {
            return inherited;
        }
        return switch (attr) {
            case "merge" -> Op.MERGE;
            case "replace" -> Op.REPLACE;
            case "create" -> Op.CREATE;
            case "delete" -> Op.DELETE;
            case "remove" -> Op.REMOVE;
            default -> throw new RpcError("protocol", "bad-attribute", null, here, "operation",
                    "operation \"" + attr + "\" is not merge, replace, create, delete or remove");
        };
    }

    /**
     * The instances of each list and leaf-list under a target element, by key (a list entry's key
     * values, a leaf-list's value), made at the first look and kept up to date by this edit: an
     * edit of N entries into a list of M costs N + M lookups, not N × M.
     */
    private final Map<Element, Map<SchemaNode, Map<String, Element>>> index = new IdentityHashMap<>();

    private Map<String, Element> instances(SchemaNode s, Element parent) {
        return index.computeIfAbsent(parent, k -> new HashMap<>()).computeIfAbsent(s, k -> {
            Map<String, Element> m = new HashMap<>();
            for (Element c : DataTrees.children(parent)) {
                if (s.name().equals(c.getLocalName()) && s.namespace().equals(DataTrees.nsOf(c))) {
                    String key = keyOf(s, c);
                    if (key != null) {
                        m.putIfAbsent(key, c);
                    }
                }
            }
            return m;
        });
    }

    /** A list entry's key values (null when one is missing), or a leaf-list value. */
    private static String keyOf(SchemaNode s, Element e) {
        if (s.kind() == Kind.LEAF_LIST) {
            return e.getTextContent().trim();
        }
        StringBuilder sb = new StringBuilder();
        for (String k : s.keys()) {
            Element leaf = DataTrees.child(e, s.namespace(), k);
            if (leaf == null) {
                return null;
            }
            sb.append(leaf.getTextContent().trim()).append('\u0000');
        }
        return sb.toString();
    }

    /** The index of {@code s}'s instances under {@code parent} if a look made one (only lists and leaf-lists get one), else null. */
    private Map<String, Element> built(SchemaNode s, Element parent) {
        Map<SchemaNode, Map<String, Element>> byNode = index.get(parent);
        return byNode == null ? null : byNode.get(s);
    }

    /** {@code e} is now in the target for {@code s} under {@code parent}: an index made of them follows. */
    private void added(SchemaNode s, Element parent, Element e) {
        Map<String, Element> m = built(s, parent);
        String key = m == null ? null : keyOf(s, e);
        if (key != null) {
            m.put(key, e);
        }
    }

    private void removed(SchemaNode s, Element parent, Element e) {
        Map<String, Element> m = built(s, parent);
        String key = m == null ? null : keyOf(s, e);
        if (key != null) {
            m.remove(key, e);
        }
    }

    /** The target's instance that the edit element addresses, or null. */
    private Element find(SchemaNode s, Element targetParent, Element edit, String here) throws RpcError {
        if (s.kind() == Kind.LIST) {
            for (String k : s.keys()) {
                if (DataTrees.child(edit, s.namespace(), k) == null) {
                    throw new RpcError("protocol", "missing-element", null, here, k,
                            "list entry '" + s.name() + "' needs its key '" + k + "'");
                }
            }
        }
        if (s.kind() == Kind.LIST || s.kind() == Kind.LEAF_LIST) {
            return instances(s, targetParent).get(keyOf(s, edit));
        }
        return DataTrees.child(targetParent, s.namespace(), s.name());
    }

    /** A copy of the edit element for the target document, without operation attributes. */
    private static Element stripped(Element targetParent, Element edit) {
        Element copy = (Element) targetParent.getOwnerDocument().importNode(edit, true);
        strip(copy);
        return copy;
    }

    private static void strip(Element e) {
        e.removeAttributeNS(NC, "operation");
        for (Element c : DataTrees.children(e)) {
            strip(c);
        }
    }

    private static boolean hasOperations(Element e) {
        if (!e.getAttributeNS(NC, "operation").isEmpty()) {
            return true;
        }
        for (Element c : DataTrees.children(e)) {
            if (hasOperations(c)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasDeleteInside(Element e) {
        for (Element c : DataTrees.children(e)) {
            if ("delete".equals(c.getAttributeNS(NC, "operation")) || hasDeleteInside(c)) {
                return true;
            }
        }
        return false;
    }
}
