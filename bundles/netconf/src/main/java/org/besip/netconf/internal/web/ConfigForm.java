package org.besip.netconf.internal.web;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

import org.besip.netconf.internal.ops.EditConfig;
import org.besip.netconf.internal.yang.DataTrees;
import org.besip.netconf.internal.yang.Schema;
import org.besip.netconf.internal.yang.SchemaNode;
import org.besip.netconf.internal.yang.SchemaNode.Kind;
import org.besip.netconf.internal.yang.Validator;
import org.besip.netconf.internal.yang.YangType;
import org.owasp.encoder.Encode;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The configuration page's form for one node (a module's top-level container, a list entry, or
 * a new entry of a list), generated from the schema: leaves become inputs by their type,
 * containers fieldsets, lists tables of their entries; and what a posted form changes, as the
 * edit-config of the candidate that makes the change. Pure: the data comes in, HTML or XML
 * goes out.
 *
 * <p>A field is named by its path relative to the form's node ({@code password},
 * {@code registration/username}), so that a server error whose path is the form's path plus
 * that name lands at the field.
 */
public final class ConfigForm {

    private ConfigForm() {
    }

    /** A posted value that cannot become an edit, at its field. */
    public static final class FieldException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String field;

        FieldException(String field, String message) {
            super(message);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    /** One edit-config of the candidate: the {@code <config>} and whether the server validates after it. */
    public record Edit(Element config, boolean validate) {
    }

    private static final Pattern SECRET = Pattern.compile("(.*-)?(password|secret|ha1|private-key|psk)");

    /** Leaves whose value is never shown back: input masked, blank keeps the value. */
    static boolean secret(SchemaNode leaf) {
        return SECRET.matcher(leaf.name()).matches();
    }

    static boolean shown(SchemaNode n) {
        return n.config() && n.kind() != Kind.ANYDATA && n.kind() != Kind.RPC && n.kind() != Kind.NOTIFICATION;
    }

    /** The path the form for {@code path} posts to: a new entry's, once its keys are given. */
    public static DataPath target(DataPath path, boolean isNew, Map<String, String[]> params) {
        if (!isNew) {
            return path;
        }
        Map<String, String> keys = new LinkedHashMap<>();
        for (String k : path.node().keys()) {
            String v = param(params, k);
            if (v == null || v.isBlank()) {
                throw new FieldException(k, "give the " + k + " of the new " + path.node().name());
            }
            keys.put(k, v.trim());
        }
        return path.entry(keys);
    }

    /** The instances of {@code s} under {@code parent}, in document order; none without a parent. */
    static List<Element> instances(Element parent, SchemaNode s) {
        List<Element> out = new ArrayList<>();
        if (parent != null) {
            for (Element e : DataTrees.children(parent)) {
                if (e.getLocalName().equals(s.name()) && DataTrees.nsOf(e).equals(s.namespace())) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    /** The values of the instances of leaf or leaf-list {@code s} under {@code parent}. */
    static List<String> values(Element parent, SchemaNode s) {
        return new ArrayList<>(instances(parent, s).stream().map(e -> e.getTextContent().trim()).toList());
    }

    private static String param(Map<String, String[]> params, String name) {
        String[] v = params == null ? null : params.get(name);
        return v == null || v.length == 0 ? null : v[0];
    }

    // ---- rendering ----

    /**
     * The HTML of the form for {@code path} over {@code data} (the candidate).
     * @param posted   the values of a refused post, shown again instead of the data's; or null
     * @param errors   messages by field name; the empty name is the form's own
     */
    public static String render(Schema schema, Element data, DataPath path, boolean isNew, Map<String, String[]> posted,
            Map<String, String> errors) {
        StringBuilder out = new StringBuilder();
        SchemaNode node = path.node();
        if (node.kind() == Kind.LIST && !path.isEntry() && !isNew) { // a module's top-level list: its table
            out.append("<form method='post' action='besip-config' id='besip-config-form'><input type='hidden' name='path' value='")
                    .append(attr(path.toString())).append("'>");
            list(new Context(schema, data, posted, errors), node, data, path, node.name(), false, out);
            return out.append("</form>").toString();
        }
        Element here = isNew ? null : path.find(data);
        // a new entry under a container not there yet has no parent element: leafref choices then come from the whole tree
        Element parentEl = isNew ? path.parent().find(data) : here;
        out.append("<form method='post' action='besip-config' id='besip-config-form' autocomplete='off'>");
        out.append("<input type='hidden' name='path' value='").append(attr(path.toString())).append("'>");
        if (isNew) {
            out.append("<input type='hidden' name='new' value='1'>");
        }
        // the first submit button is the one Enter presses: Save, not a row's Remove
        out.append("<p class='besip-config-actions'><button type='submit' name='action' value='save' id='besip-config-save'>Save to candidate</button> "
                + "<span class='hint'>Saved changes wait in the candidate until you commit them.</span></p>");
        String formError = errors.get("");
        if (formError != null) {
            out.append("<p class='field-error' id='e-'>").append(html(formError)).append("</p>");
        }
        if (node.description() != null) {
            out.append("<p class='help'>").append(html(node.description())).append("</p>");
        }
        Context ctx = new Context(schema, data, posted, errors);
        if (node.kind() == Kind.LIST) {
            for (String k : node.keys()) {
                SchemaNode key = node.dataChild(node.namespace(), k);
                if (isNew) {
                    leaf(ctx, key, null, parentEl, k, out);
                } else {
                    out.append("<div class='field key'><label>").append(html(k)).append("</label> <span class='key' id='f-")
                            .append(attr(k)).append("'>").append(html(path.keys().get(k))).append("</span></div>");
                }
            }
        }
        children(ctx, node, here, here != null ? here : parentEl, path, "", isNew, out);
        out.append("<p><button type='submit' name='action' value='save'>Save to candidate</button></p>");
        out.append("</form>");
        return out.toString();
    }

    private record Context(Schema schema, Element data, Map<String, String[]> posted, Map<String, String> errors) {
    }

    private static void children(Context ctx, SchemaNode node, Element el, Element whenContext, DataPath path, String rel,
            boolean isNew, StringBuilder out) {
        for (SchemaNode c : node.dataChildren()) {
            if (!shown(c) || (node.kind() == Kind.LIST && node.keys().contains(c.name()) && rel.isEmpty())) {
                continue;
            }
            Element context = el != null ? el : whenContext;
            if (context != null && !Validator.applies(c, context)) {
                continue; // RFC 7950 §7.21.5: what does not apply here is not offered
            }
            String name = rel.isEmpty() ? c.name() : rel + "/" + c.name();
            Element child = el == null ? null : DataTrees.child(el, c.namespace(), c.name());
            switch (c.kind()) {
                case LEAF -> leaf(ctx, c, child, context, name, out);
                case LEAF_LIST -> leafList(ctx, c, el, context, name, out);
                case CONTAINER -> {
                    out.append("<fieldset class='section' id='s-").append(attr(name)).append("'><legend>").append(html(c.name()))
                            .append("</legend>");
                    if (c.description() != null) {
                        out.append("<p class='help'>").append(html(c.description())).append("</p>");
                    }
                    if (c.presence()) {
                        boolean on = ctx.posted != null ? "true".equals(param(ctx.posted, name)) : child != null;
                        out.append("<input type='hidden' name='has:").append(attr(name)).append("' value='1'>");
                        out.append("<div class='field'><label class='switch'><input type='checkbox' id='f-").append(attr(name))
                                .append("' name='").append(attr(name)).append("' value='true'").append(on ? " checked" : "")
                                .append("><span class='slider'></span> ").append(html("configured")).append("</label></div>");
                    }
                    error(ctx, name, out);
                    children(ctx, c, child, child != null ? child : context, path.child(c), name, isNew, out);
                    out.append("</fieldset>");
                }
                case LIST -> list(ctx, c, el, path.child(c), name, isNew, out);
                default -> {
                }
            }
        }
    }

    private static void list(Context ctx, SchemaNode list, Element parent, DataPath listPath, String rel, boolean isNew,
            StringBuilder out) {
        out.append("<fieldset class='section list' id='s-").append(attr(rel)).append("'><legend>").append(html(list.name()))
                .append(" (list)</legend>");
        if (list.description() != null) {
            out.append("<p class='help'>").append(html(list.description())).append("</p>");
        }
        if (isNew) {
            out.append("<p class='hint'>Save this entry first; then its ").append(html(list.name())).append(" entries can be added.</p></fieldset>");
            return;
        }
        List<SchemaNode> columns = new ArrayList<>();
        for (String k : list.keys()) {
            columns.add(list.dataChild(list.namespace(), k));
        }
        for (SchemaNode c : list.dataChildren()) {
            if (columns.size() >= list.keys().size() + 3) {
                break;
            }
            if (shown(c) && (c.kind() == Kind.LEAF || c.kind() == Kind.LEAF_LIST) && !list.keys().contains(c.name()) && !secret(c)) {
                columns.add(c);
            }
        }
        List<Element> entries = instances(parent, list);
        out.append("<table class='nicetable' id='list-").append(attr(rel)).append("'><thead><tr>");
        for (SchemaNode c : columns) {
            out.append("<th>").append(html(c.name())).append(list.keys().contains(c.name()) ? " (key)" : "").append("</th>");
        }
        out.append("<th></th></tr></thead><tbody>");
        for (Element e : entries) {
            DataPath entry = listPath.entryFrom(e);
            out.append("<tr data-path='").append(attr(entry.toString())).append("'>");
            for (SchemaNode c : columns) {
                out.append("<td class='").append(attr(c.name())).append("'>").append(html(String.join(", ", values(e, c)))).append("</td>");
            }
            out.append("<td><a class='edit' href='").append(link(entry, false)).append("'>Edit</a> ")
                    .append("<button type='submit' class='remove' name='remove' value='").append(attr(entry.toString()))
                    .append("'>Remove</button></td></tr>");
        }
        if (entries.isEmpty()) {
            out.append("<tr><td colspan='").append(columns.size() + 1).append("' class='empty'>none</td></tr>");
        }
        out.append("</tbody></table>");
        Integer max = list.maxElements();
        out.append("<p><a class='add' id='add-").append(attr(rel)).append("' href='").append(link(listPath, true)).append("'>Add ")
                .append(html(list.name())).append("</a>").append(max == null ? "" : " <span class='hint'>at most " + max + "</span>")
                .append("</p></fieldset>");
    }

    /** The page's link to {@code path}'s form (a new entry's when {@code isNew}), encoded for an attribute. */
    public static String link(DataPath path, boolean isNew) {
        return attr(org.besip.core.api.web.ConfigLinks.to(path.toString()) + (isNew ? "&new=1" : ""));
    }

    /** The page's query naming {@code path}'s form: {@code path=...}, URL-encoded. */
    static String query(DataPath path) {
        return "path=" + URLEncoder.encode(path.toString(), StandardCharsets.UTF_8);
    }

    private static void leaf(Context ctx, SchemaNode leaf, Element value, Element context, String name, StringBuilder out) {
        YangType t = leaf.type();
        String builtin = t == null ? "string" : t.builtin();
        String current = ctx.posted != null ? param(ctx.posted, name) : value == null ? null : value.getTextContent().trim();
        boolean invalid = ctx.errors.containsKey(name);
        out.append("<div class='field").append(invalid ? " invalid" : "").append("'>");
        label(leaf, name, out);
        String id = attr("f-" + name);
        switch (builtin) {
            case "boolean", "empty" -> {
                boolean on;
                if (ctx.posted != null) {
                    on = "true".equals(current);
                } else if (builtin.equals("empty")) {
                    on = value != null;
                } else {
                    on = "true".equals(current != null ? current : leaf.defaultValue());
                }
                out.append("<input type='hidden' name='has:").append(attr(name)).append("' value='1'>");
                out.append("<label class='switch'><input type='checkbox' id='").append(id).append("' name='").append(attr(name))
                        .append("' value='true'").append(on ? " checked" : "").append("><span class='slider'></span></label>");
            }
            case "enumeration", "identityref", "leafref" -> {
                List<String> options = options(ctx, leaf, context);
                if (current != null && !current.isEmpty() && !options.contains(current)) {
                    options.add(0, current);
                }
                out.append("<select id='").append(id).append("' name='").append(attr(name)).append("'>");
                out.append("<option value=''>").append(html(leaf.defaultValue() != null ? "(default: " + leaf.defaultValue() + ")"
                        : "(not set)")).append("</option>");
                for (String o : options) {
                    out.append("<option value='").append(attr(o)).append("'").append(o.equals(current) ? " selected" : "").append(">")
                            .append(html(o)).append("</option>");
                }
                out.append("</select>");
            }
            default -> {
                boolean secret = secret(leaf);
                out.append("<input type='").append(secret ? "password" : "text").append("' id='").append(id).append("' name='")
                        .append(attr(name)).append("'");
                if (secret) {
                    out.append(" value='' autocomplete='new-password' placeholder='")
                            .append(attr(value != null ? "(set: leave blank to keep)" : "(not set)")).append("'");
                } else {
                    out.append(" value='").append(attr(current == null ? "" : current)).append("'");
                    if (leaf.defaultValue() != null) {
                        out.append(" placeholder='").append(attr(leaf.defaultValue())).append("'");
                    }
                }
                out.append(">");
            }
        }
        hints(leaf, out);
        error(ctx, name, out);
        help(leaf, out);
        out.append("</div>");
    }

    private static void leafList(Context ctx, SchemaNode leaf, Element parent, Element context, String name, StringBuilder out) {
        List<String> values = ctx.posted != null ? lines(param(ctx.posted, name)) : values(parent, leaf);
        boolean invalid = ctx.errors.containsKey(name);
        out.append("<div class='field").append(invalid ? " invalid" : "").append("'>");
        label(leaf, name, out);
        out.append("<textarea id='").append(attr("f-" + name)).append("' name='").append(attr(name)).append("' rows='")
                .append(Math.max(2, Math.min(8, values.size() + 1))).append("'>").append(html(String.join("\n", values)))
                .append("</textarea>");
        out.append(" <span class='hint'>one per line").append(leaf.orderedByUser() ? ", in order" : "");
        String builtin = leaf.type() == null ? "string" : leaf.type().builtin();
        if (builtin.equals("enumeration") || builtin.equals("identityref") || builtin.equals("leafref")) {
            out.append("; one of: ").append(html(String.join(", ", options(ctx, leaf, context))));
        }
        out.append("</span>");
        hints(leaf, out);
        error(ctx, name, out);
        help(leaf, out);
        out.append("</div>");
    }

    /** The values a select offers: enumeration names, identities derived from the bases, or the leafref's existing targets. */
    private static List<String> options(Context ctx, SchemaNode leaf, Element context) {
        YangType t = leaf.type();
        List<String> out = new ArrayList<>();
        switch (t.builtin()) {
            case "enumeration" -> out.addAll(t.enumNames());
            case "identityref" -> {
                for (String base : t.identityBases()) {
                    for (String id : ctx.schema.derivedIdentities(base)) {
                        String ns = id.substring(0, id.indexOf('|'));
                        Schema.ModuleInfo m = ctx.schema.moduleByNamespace(ns);
                        String v = (m == null ? "" : m.prefix() + ":") + id.substring(id.indexOf('|') + 1);
                        if (!out.contains(v)) {
                            out.add(v);
                        }
                    }
                }
            }
            case "leafref" -> out.addAll(Validator.leafrefValues(leaf, context != null ? context : ctx.data));
            default -> {
            }
        }
        return out;
    }

    private static void label(SchemaNode leaf, String name, StringBuilder out) {
        out.append("<label for='").append(attr("f-" + name)).append("'>").append(html(leaf.name()));
        if (leaf.mandatory() || (leaf.minElements() != null && leaf.minElements() > 0)) {
            out.append(" <span class='mandatory' title='required'>*</span>");
        }
        out.append("</label> ");
    }

    private static void hints(SchemaNode leaf, StringBuilder out) {
        List<String> hints = new ArrayList<>();
        YangType t = leaf.type();
        if (t != null) {
            if (!t.ranges().isEmpty()) {
                hints.add("range " + join(t.ranges()));
            } else if (t.builtin().matches("u?int\\d+")) {
                hints.add(t.builtin().startsWith("u") ? "a whole number ≥ 0" : "a whole number");
            } else if (t.builtin().equals("decimal64")) {
                hints.add("a decimal number");
            }
            if (!t.lengths().isEmpty()) {
                hints.add("length " + join(t.lengths()));
            }
            for (YangType.PatternRule p : t.patterns()) {
                hints.add((p.invert() ? "not matching " : "pattern ") + p.text());
            }
            if (t.builtin().equals("union")) {
                hints.add("one of: " + String.join(", ", t.union().stream().map(YangType::name).toList()));
            }
        }
        if (leaf.units() != null) {
            hints.add(leaf.units());
        }
        if (leaf.defaultValue() != null) {
            hints.add("default " + (leaf.defaultValue().isEmpty() ? "empty" : leaf.defaultValue()));
        } else if (!leaf.defaults().isEmpty()) {
            hints.add("default " + String.join(", ", leaf.defaults()));
        }
        if (!hints.isEmpty()) {
            out.append(" <span class='hint'>").append(html(String.join(" · ", hints))).append("</span>");
        }
    }

    private static String join(List<YangType.Interval> intervals) {
        return String.join(" | ", intervals.stream().map(Object::toString).toList());
    }

    private static void error(Context ctx, String name, StringBuilder out) {
        String e = ctx.errors.get(name);
        if (e != null) {
            out.append("<div class='field-error' id='").append(attr("e-" + name)).append("'>").append(html(e)).append("</div>");
        }
    }

    private static void help(SchemaNode leaf, StringBuilder out) {
        if (leaf.description() != null) {
            out.append("<div class='help'>").append(html(leaf.description())).append("</div>");
        }
    }

    // ---- what a post changes ----

    /**
     * The edit-configs of the candidate that make {@code data} (the candidate) hold what was
     * posted for {@code path}'s form: empty when nothing changes. A new entry is created (so an
     * existing key is refused); a blank field removes its leaf, a blank secret keeps it; an
     * ordered leaf-list put in a new order is written again in that order.
     * @throws FieldException when a posted value cannot be an edit at all (a new entry's key missing)
     */
    public static List<Edit> edits(Schema schema, Element data, DataPath path, boolean isNew, Map<String, String[]> params) {
        DataPath target = target(path, isNew, params);
        Document d = DataTrees.newDocument();
        Element config = d.createElementNS(EditConfig.NC, "config");
        d.appendChild(config);
        Element current = isNew ? null : target.find(data);
        if (!isNew && current == null && target.isEntry()) { // a container may be absent: a field makes it
            throw new FieldException("", target + " is not in the candidate (removed meanwhile?)");
        }
        Lazy root = new Lazy(null, null, target.build(config));
        if (isNew) {
            root.el.setAttributeNS(EditConfig.NC, "nc:operation", "create");
        }
        List<Reorder> reorders = new ArrayList<>();
        boolean changed = collect(schema, target.node(), current, root, "", params, isNew, reorders);
        List<Edit> out = new ArrayList<>();
        if (reorders.isEmpty() && (changed || isNew)) {
            out.add(new Edit(config, true));
        }
        // merge appends what is new to a leaf-list; a new order is written in two steps: the values out, then in, in order
        for (int i = 0; i < reorders.size(); i++) {
            out.add(new Edit(rewrite(config, reorders.get(i), true), false));
            out.add(new Edit(rewrite(config, reorders.get(i), false), i == reorders.size() - 1));
        }
        return out;
    }

    /** An element of the edit made only when something under it changes. */
    private static final class Lazy {
        final Lazy parent;
        final SchemaNode node;
        Element el;

        Lazy(Lazy parent, SchemaNode node, Element el) {
            this.parent = parent;
            this.node = node;
            this.el = el;
        }

        Element get() {
            if (el == null) {
                Element p = parent.get();
                el = p.getOwnerDocument().createElementNS(node.namespace(), node.name());
                p.appendChild(el);
            }
            return el;
        }
    }

    private static boolean collect(Schema schema, SchemaNode node, Element current, Lazy edit, String rel, Map<String, String[]> params,
            boolean isNew, List<Reorder> reorders) {
        boolean changed = false;
        for (SchemaNode c : node.dataChildren()) {
            if (!shown(c) || (node.kind() == Kind.LIST && node.keys().contains(c.name()) && rel.isEmpty())) {
                continue;
            }
            String name = rel.isEmpty() ? c.name() : rel + "/" + c.name();
            Element cur = current == null ? null : DataTrees.child(current, c.namespace(), c.name());
            switch (c.kind()) {
                case LEAF -> changed |= leafEdit(schema, c, cur, edit, name, params);
                case LEAF_LIST -> changed |= leafListEdit(c, current, edit, name, params, reorders);
                case CONTAINER -> {
                    if (c.presence() && param(params, "has:" + name) != null) {
                        boolean on = "true".equals(param(params, name));
                        if (!on) {
                            if (cur != null) {
                                Element gone = edit.get().getOwnerDocument().createElementNS(c.namespace(), c.name());
                                gone.setAttributeNS(EditConfig.NC, "nc:operation", "remove");
                                edit.get().appendChild(gone);
                                changed = true;
                            }
                            continue; // a container switched off: its fields are not read
                        }
                        if (cur == null) {
                            new Lazy(edit, c, null).get();
                            changed = true;
                        }
                    }
                    // the container, if a switch above made it already
                    Lazy child = new Lazy(edit, c, edit.el == null ? null : DataTrees.child(edit.el, c.namespace(), c.name()));
                    changed |= collect(schema, c, cur, child, name, params, isNew, reorders);
                }
                default -> {
                }
            }
        }
        return changed;
    }

    private static boolean leafEdit(Schema schema, SchemaNode leaf, Element cur, Lazy edit, String name, Map<String, String[]> params) {
        String builtin = leaf.type() == null ? "string" : leaf.type().builtin();
        String was = cur == null ? null : cur.getTextContent().trim();
        String now;
        if (builtin.equals("boolean") || builtin.equals("empty")) {
            if (param(params, "has:" + name) == null) {
                return false; // not on the form that was posted
            }
            boolean on = "true".equals(param(params, name));
            if (builtin.equals("empty")) {
                if (on == (cur != null)) {
                    return false;
                }
                Element e = set(edit, leaf, null);
                if (!on) {
                    e.setAttributeNS(EditConfig.NC, "nc:operation", "remove");
                }
                return true;
            }
            String effective = was != null ? was : Objects.requireNonNullElse(leaf.defaultValue(), "false");
            if (String.valueOf(on).equals(effective)) {
                return false;
            }
            set(edit, leaf, String.valueOf(on));
            return true;
        }
        String posted = param(params, name);
        if (posted == null) {
            return false;
        }
        now = posted.trim();
        if (now.isEmpty()) {
            if (cur == null || secret(leaf)) {
                return false;
            }
            set(edit, leaf, null).setAttributeNS(EditConfig.NC, "nc:operation", "remove");
            return true;
        }
        if (now.equals(was)) {
            return false;
        }
        Element e = set(edit, leaf, now);
        if (builtin.equals("identityref") && now.indexOf(':') > 0) {
            String prefix = now.substring(0, now.indexOf(':'));
            for (Schema.ModuleInfo m : schema.modules()) {
                if (m.prefix().equals(prefix)) {
                    e.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns:" + prefix, m.namespace());
                }
            }
        }
        return true;
    }

    private static Element set(Lazy edit, SchemaNode leaf, String value) {
        Element parent = edit.get();
        Element e = parent.getOwnerDocument().createElementNS(leaf.namespace(), leaf.name());
        if (value != null) {
            e.setTextContent(value);
        }
        parent.appendChild(e);
        return e;
    }

    private static boolean leafListEdit(SchemaNode leaf, Element parent, Lazy edit, String name, Map<String, String[]> params,
            List<Reorder> reorders) {
        String posted = param(params, name);
        if (posted == null) {
            return false;
        }
        List<String> wanted = lines(posted);
        List<String> had = values(parent, leaf);
        if (wanted.equals(had)) {
            return false;
        }
        for (String v : had) {
            if (!wanted.contains(v)) {
                set(edit, leaf, v).setAttributeNS(EditConfig.NC, "nc:operation", "remove");
            }
        }
        List<String> kept = new ArrayList<>(had);
        kept.retainAll(wanted);
        for (String v : wanted) {
            if (!had.contains(v)) {
                set(edit, leaf, v);
                kept.add(v);
            }
        }
        if (leaf.orderedByUser() && !kept.equals(wanted)) {
            reorders.add(new Reorder(edit.get(), leaf, wanted));
        }
        return true;
    }

    /** An ordered leaf-list whose values are all there but in another order than posted. */
    private record Reorder(Element at, SchemaNode leaf, List<String> wanted) {
    }

    /** A copy of the whole edit in which the reordered leaf-list is all removed, or all merged in order. */
    private static Element rewrite(Element config, Reorder r, boolean remove) {
        List<Integer> route = new ArrayList<>();
        for (Element n = r.at(); n != config; n = (Element) n.getParentNode()) {
            route.add(0, DataTrees.children((Element) n.getParentNode()).indexOf(n));
        }
        Document d = DataTrees.newDocument();
        Element copy = (Element) d.appendChild(d.importNode(config, true));
        Element at = copy;
        for (int i : route) {
            at = DataTrees.children(at).get(i);
        }
        for (Element e : instances(at, r.leaf())) {
            at.removeChild(e);
        }
        for (String v : r.wanted()) {
            Element e = d.createElementNS(r.leaf().namespace(), r.leaf().name());
            e.setTextContent(v);
            if (remove) {
                e.setAttributeNS(EditConfig.NC, "nc:operation", "remove");
            }
            at.appendChild(e);
        }
        return copy;
    }

    static List<String> lines(String text) {
        List<String> out = new ArrayList<>();
        if (text != null) {
            for (String l : text.split("\\R")) {
                if (!l.isBlank() && !out.contains(l.trim())) {
                    out.add(l.trim());
                }
            }
        }
        return out;
    }

    /** The edit that removes the entry (or presence container) at {@code path}. */
    public static Element removal(DataPath path) {
        Document d = DataTrees.newDocument();
        Element config = d.createElementNS(EditConfig.NC, "config");
        d.appendChild(config);
        path.build(config).setAttributeNS(EditConfig.NC, "nc:operation", "remove");
        return config;
    }

    static String html(String s) {
        return Encode.forHtml(s);
    }

    static String attr(String s) {
        return Encode.forHtmlAttribute(s);
    }
}
