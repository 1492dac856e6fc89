package org.besip.netconf.internal.yang;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.xml.xpath.XPathExpressionException;

import org.besip.netconf.internal.yang.SchemaNode.Kind;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Checks a whole configuration tree against the schema (RFC 7950 §8): structure, types, keys,
 * uniqueness, mandatory nodes and choices, element counts, leafref, must and when. Works on a copy
 * with defaults filled in, as XPath in must/when must see them (RFC 7950 §6.4.1).
 */
public final class Validator {

    /** One violation, in RFC 6241 Appendix A terms. */
    public record Problem(String tag, String appTag, String path, String message) {
        @Override
        public String toString() {
            return path + ": " + message;
        }
    }

    private final Schema schema;
    private final List<Problem> problems = new ArrayList<>();

    private Validator(Schema schema) {
        this.schema = schema;
    }

    /**
     * @param data a {@code <data>} or {@code <config>} element whose children are top-level nodes
     * @return the problems, empty when the tree is valid
     */
    public static List<Problem> validate(Schema schema, Element data) {
        Validator v = new Validator(schema);
        Document copy = DataTrees.newDocument();
        Element root = (Element) copy.importNode(data, true);
        copy.appendChild(root);
        DataTrees.fillDefaults(schema, root);
        v.structure(schema.root(), root, "");
        if (v.problems.isEmpty()) {
            v.semantics(schema.root(), root, "");
        }
        return v.problems;
    }

    // ---- pass 1: every element known, every value of its type ----

    private void structure(SchemaNode parent, Element element, String path) {
        Map<SchemaNode, List<Element>> seen = new HashMap<>();
        for (Element child : DataTrees.children(element)) {
            String ns = child.getNamespaceURI() == null ? "" : child.getNamespaceURI();
            SchemaNode s = parent.dataChild(ns, child.getLocalName());
            String childPath = path + "/" + (s == null ? DataTrees.step(schema, child) : DataTrees.qualifiedStep(s));
            if (s == null && parent == schema.root() && schema.moduleByNamespace(ns) == null) {
                continue; // data of a module whose bundle is not running: kept, not checked (design §4)
            }
            if (s == null) {
                problems.add(new Problem("unknown-element", null, childPath, "'" + child.getLocalName() + "' is not in the schema"
                        + (parent.kind == Kind.CONTAINER && parent.name.isEmpty() ? " (unknown namespace " + ns + "?)"
                                : " under " + parent.path())));
                continue;
            }
            if (!s.config) {
                problems.add(new Problem("invalid-value", null, childPath, "'" + s.name + "' is state data, not configuration"));
                continue;
            }
            seen.computeIfAbsent(s, k -> new ArrayList<>()).add(child);
            switch (s.kind) {
                case LEAF, LEAF_LIST -> value(s, child, childPath);
                case CONTAINER, LIST -> structure(s, child, childPath + DataTrees.predicate(s, child));
                default -> {
                }
            }
        }
        for (var e : seen.entrySet()) {
            SchemaNode s = e.getKey();
            if ((s.kind == Kind.LEAF || s.kind == Kind.CONTAINER) && e.getValue().size() > 1) {
                problems.add(new Problem("data-exists", null, path + "/" + s.name, "'" + s.name + "' appears more than once"));
            }
        }
    }

    private void value(SchemaNode s, Element e, String path) {
        if (DataTrees.children(e).size() > 0) {
            problems.add(new Problem("invalid-value", null, path, "'" + s.name + "' is a leaf: it holds a value, not elements"));
            return;
        }
        String text = e.getTextContent();
        String v = s.type.builtin().equals("string") || s.type.builtin().equals("union") ? text : text.trim();
        String why = s.type.check(v, id -> identity(e, id, s.type));
        if (why != null) {
            problems.add(new Problem("invalid-value", null, path, why));
        }
    }

    /** Resolves an identityref value's prefix in the XML namespace scope of its element. */
    private boolean identity(Element e, String value, YangType type) {
        int colon = value.indexOf(':');
        String ns = colon < 0 ? e.getNamespaceURI() : e.lookupNamespaceURI(value.substring(0, colon));
        if (ns == null) {
            return false;
        }
        String id = SchemaNode.key(ns, value.substring(colon + 1));
        return type.identityBases().stream().allMatch(b -> schema.derivesFrom(id, b));
    }

    // ---- pass 2: what needs the whole tree ----

    private void semantics(SchemaNode schemaParent, Element element, String path) {
        List<Element> kids = DataTrees.children(element);
        for (SchemaNode s : schemaParent.children.values()) {
            semanticsOf(s, element, kids, path);
        }
    }

    private void semanticsOf(SchemaNode s, Element element, List<Element> kids, String path) {
        if (!s.config) {
            return; // state data is not in configuration datastores
        }
        switch (s.kind) {
            case CHOICE -> choice(s, element, kids, path);
            case CASE -> {
                for (SchemaNode c : s.children.values()) {
                    semanticsOf(c, element, kids, path);
                }
            }
            default -> {
                List<Element> instances = kids.stream()
                        .filter(k -> s.name.equals(k.getLocalName()) && s.namespace.equals(k.getNamespaceURI())).toList();
                String here = path + "/" + DataTrees.qualifiedStep(s) ;
                if (instances.isEmpty()) {
                    missing(s, element, here);
                    return;
                }
                counts(s, instances, here);
                if (s.kind == Kind.LIST) {
                    keysAndUniques(s, instances, here);
                }
                if (s.kind == Kind.LEAF_LIST) {
                    Set<String> values = new HashSet<>();
                    for (Element i : instances) {
                        if (!values.add(i.getTextContent().trim())) {
                            problems.add(new Problem("data-exists", null, here, "value \"" + i.getTextContent().trim()
                                    + "\" appears twice in leaf-list " + s.name));
                        }
                    }
                }
                for (Element i : instances) {
                    String ip = here + DataTrees.predicate(s, i);
                    constraints(s, i, ip);
                    if (s.kind == Kind.LEAF && "leafref".equals(s.type.builtin())) {
                        leafref(s, i, ip);
                    }
                    if (s.kind == Kind.CONTAINER || s.kind == Kind.LIST) {
                        semantics(s, i, ip);
                    }
                }
            }
        }
    }

    /** A node that is absent: mandatory leaves and lists with min-elements must not be. */
    private void missing(SchemaNode s, Element parent, String here) {
        // a stand-in for the absent node while its own when is evaluated
        if (s.when != null && !(s.whenOnParent ? when(s, parent) : withInstance(s, parent, standIn -> when(s, standIn)))) {
            return;
        }
        if (s.kind == Kind.LEAF && s.mandatory) {
            problems.add(new Problem("data-missing", null, here, "mandatory leaf '" + s.name + "' is missing"));
        } else if ((s.kind == Kind.LIST || s.kind == Kind.LEAF_LIST) && s.minElements != null && s.minElements > 0) {
            problems.add(new Problem("data-missing", "too-few-elements", here, "'" + s.name + "' needs at least "
                    + s.minElements + " entries, has 0"));
        } else if (s.kind == Kind.CONTAINER && !s.presence) {
            // a non-presence container exists logically: look for mandatory nodes inside it
            Element virtual = parent.getOwnerDocument().createElementNS(s.namespace, s.name);
            for (SchemaNode c : s.children.values()) {
                semanticsOf(c, virtual, List.of(), here);
            }
        }
    }

    private void counts(SchemaNode s, List<Element> instances, String here) {
        if (s.minElements != null && instances.size() < s.minElements) {
            problems.add(new Problem("data-missing", "too-few-elements", here, "'" + s.name + "' needs at least "
                    + s.minElements + " entries, has " + instances.size()));
        }
        if (s.maxElements != null && instances.size() > s.maxElements) {
            problems.add(new Problem("operation-failed", "too-many-elements", here, "'" + s.name + "' allows at most "
                    + s.maxElements + " entries, has " + instances.size()));
        }
    }

    private void keysAndUniques(SchemaNode list, List<Element> entries, String here) {
        Set<List<String>> keys = new HashSet<>();
        for (Element entry : entries) {
            List<String> key = new ArrayList<>();
            for (String k : list.keys) {
                Element leaf = DataTrees.child(entry, list.namespace, k);
                if (leaf == null) {
                    problems.add(new Problem("data-missing", null, here, "list entry without its key '" + k + "'"));
                    return;
                }
                key.add(leaf.getTextContent().trim());
            }
            if (!list.keys.isEmpty() && !keys.add(key)) {
                problems.add(new Problem("data-exists", null, here + DataTrees.predicate(list, entry),
                        "two entries of '" + list.name + "' have the same key"));
            }
        }
        for (List<String> unique : list.uniques) {
            Map<List<String>, Element> byValues = new HashMap<>();
            for (Element entry : entries) {
                List<String> values = new ArrayList<>();
                boolean all = true;
                for (String p : unique) {
                    Element leaf = DataTrees.descendant(entry, list.namespace, p);
                    if (leaf == null) {
                        all = false;
                        break;
                    }
                    values.add(leaf.getTextContent().trim());
                }
                if (all && byValues.putIfAbsent(values, entry) != null) {
                    problems.add(new Problem("operation-failed", "data-not-unique", here + DataTrees.predicate(list, entry),
                            "'" + String.join(" ", unique) + "' must be unique among '" + list.name + "' entries; "
                                    + values + " is used twice"));
                }
            }
        }
    }

    private void choice(SchemaNode choice, Element element, List<Element> kids, String path) {
        SchemaNode chosen = null;
        for (Element k : kids) {
            SchemaNode s = choice.dataChild(k.getNamespaceURI() == null ? "" : k.getNamespaceURI(), k.getLocalName());
            if (s == null) {
                continue;
            }
            SchemaNode c = s.caseUnder(choice);
            if (chosen != null && c != chosen) {
                problems.add(new Problem("bad-element", null, path + "/" + k.getLocalName(), "'" + k.getLocalName()
                        + "' belongs to case '" + c.name + "' but case '" + chosen.name + "' of choice '" + choice.name
                        + "' is already present"));
                return;
            }
            chosen = c;
        }
        if (chosen == null) {
            if (choice.mandatory) {
                problems.add(new Problem("data-missing", "missing-choice", path, "mandatory choice '" + choice.name
                        + "' has no case present"));
            }
            return;
        }
        for (SchemaNode c : chosen.children.values()) {
            semanticsOf(c, element, kids, path);
        }
    }

    private void constraints(SchemaNode s, Element instance, String path) {
        if (s.when != null && !when(s, s.whenOnParent ? (Element) instance.getParentNode() : instance)) {
            problems.add(new Problem("unknown-element", null, path, "'" + s.name + "' is present but its condition (when \""
                    + s.when.xpath() + "\") is false"));
        }
        Element local = null;
        for (SchemaNode.Constraint must : s.musts) {
            try {
                // the JDK's XPath walks the document up to its context node on each evaluation: an
                // expression that only looks inside its node is evaluated on a copy of that node alone
                Element context = instance;
                if (XPathSupport.isLocal(must.xpath())) {
                    context = local != null ? local : (local = detached(instance));
                }
                if (!XPathSupport.test(must.xpath(), must.prefixes(), must.defaultNamespace(), context)) {
                    problems.add(new Problem("operation-failed", must.errorAppTag() != null ? must.errorAppTag() : "must-violation",
                            path, must.errorMessage() != null ? must.errorMessage() : "must \"" + must.xpath() + "\" is not satisfied"));
                }
            } catch (XPathExpressionException e) {
                problems.add(new Problem("operation-failed", null, path, "must \"" + must.xpath() + "\" cannot be evaluated ("
                        + must.where() + "): " + e.getMessage()));
            }
        }
    }

    /** RFC 7950 §7.21.5: the context of a when on a data node is the node's parent. */
    private boolean when(SchemaNode s, Element context) {
        try {
            return XPathSupport.test(s.when.xpath(), s.when.prefixes(), s.when.defaultNamespace(), context);
        } catch (XPathExpressionException e) {
            problems.add(new Problem("operation-failed", null, s.path(), "when \"" + s.when.xpath() + "\" cannot be evaluated ("
                    + s.when.where() + "): " + e.getMessage()));
            return false;
        }
    }

    /** A copy of {@code e} (and what it holds) as the only element of a document of its own. */
    private static Element detached(Element e) {
        Document d = DataTrees.newDocument();
        return (Element) d.appendChild(d.importNode(e, true));
    }

    /** The values an absolute leafref path without predicates finds, once per validation (path to values). */
    private final Map<String, Set<String>> leafrefTargets = new HashMap<>();

    private void leafref(SchemaNode s, Element leaf, String path) {
        if (!s.type.requireInstance()) {
            return;
        }
        try {
            String value = leaf.getTextContent().trim();
            String p = s.type.leafrefPath();
            boolean sameEverywhere = p.startsWith("/") && !p.contains("["); // the same targets wherever evaluated: found once
            String key = s.type.defaultNamespace() + " " + p;
            Set<String> values = sameEverywhere ? leafrefTargets.get(key) : null;
            if (values == null) {
                values = targetValues(s.type, leaf);
                if (sameEverywhere) {
                    leafrefTargets.put(key, values);
                }
            }
            if (values.contains(value)) {
                return;
            }
            problems.add(new Problem("data-missing", "instance-required", path, "\"" + value + "\" refers to nothing: no "
                    + s.type.leafrefPath() + " has that value"));
        } catch (XPathExpressionException e) {
            problems.add(new Problem("operation-failed", null, path, "leafref path \"" + s.type.leafrefPath()
                    + "\" cannot be evaluated: " + e.getMessage()));
        }
    }

    /**
     * Whether {@code s}'s when (if any) holds for it under {@code parent}, in {@code parent}'s tree
     * (a form deciding what to show): evaluated on the node where it is, else on a stand-in added
     * for the evaluation and removed again. An expression that cannot be evaluated shows the node.
     */
    public static boolean applies(SchemaNode s, Element parent) {
        if (s.when == null) {
            return true;
        }
        return s.whenOnParent ? holdsOrUnclear(s, parent) : withInstance(s, parent, instance -> holdsOrUnclear(s, instance));
    }

    private static boolean holdsOrUnclear(SchemaNode s, Element context) {
        try {
            return XPathSupport.test(s.when.xpath(), s.when.prefixes(), s.when.defaultNamespace(), context);
        } catch (XPathExpressionException e) {
            return true;
        }
    }

    /** The values a leafref leaf {@code s} under {@code parent} may take there: its path's targets, in document order. */
    public static List<String> leafrefValues(SchemaNode s, Element parent) {
        if (s.type == null || s.type.leafrefPath() == null) {
            return List.of();
        }
        return withInstance(s, parent, instance -> {
            try {
                return List.copyOf(targetValues(s.type, instance));
            } catch (XPathExpressionException e) {
                return List.of();
            }
        });
    }

    /** The values a leafref's path finds from {@code context}, in document order, each once. */
    private static Set<String> targetValues(YangType type, Element context) throws XPathExpressionException {
        NodeList targets = XPathSupport.select(type.leafrefPath(), type.prefixes(), type.defaultNamespace(), context);
        Set<String> out = new java.util.LinkedHashSet<>();
        for (int i = 0; i < targets.getLength(); i++) {
            out.add(targets.item(i).getTextContent().trim());
        }
        return out;
    }

    private static <T> T withInstance(SchemaNode s, Element parent, java.util.function.Function<Element, T> f) {
        Element existing = DataTrees.child(parent, s.namespace, s.name);
        if (existing != null) {
            return f.apply(existing);
        }
        Element standIn = parent.getOwnerDocument().createElementNS(s.namespace, s.name);
        parent.appendChild(standIn);
        try {
            return f.apply(standIn);
        } finally {
            parent.removeChild(standIn);
        }
    }
}
