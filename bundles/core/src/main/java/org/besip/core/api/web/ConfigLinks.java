package org.besip.core.api.web;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Links from a module's state page to the Web Console page "Configuration"
 * ({@code besip-config}), relative to {@code /system/console/}: to a module's top-level node or
 * to one list entry, in the page's path form ({@code /besip-pbx:pbx/user[name='alice']}).
 * Since 1.1. The links are already encoded for an HTML attribute.
 */
public final class ConfigLinks {

    private ConfigLinks() {
    }

    /** The configuration page of the node at {@code path}. */
    public static String to(String path) {
        return "besip-config?path=" + URLEncoder.encode(path, StandardCharsets.UTF_8);
    }

    /** The configuration page of the entry of {@code list} under {@code parent} whose one key {@code key} is {@code value}. */
    public static String entry(String parent, String list, String key, String value) {
        String q = value.contains("'") ? "\"" : "'";
        return to(parent + "/" + list + "[" + key + "=" + q + value + q + "]");
    }

    /** An HTML paragraph linking to the configuration of what a page shows: {@code label} is plain text. */
    public static String paragraph(String id, String path, String label) {
        return "<p class='besip-configure' id='" + id + "'>Configure: <a href='" + to(path) + "'>"
                + org.owasp.encoder.Encode.forHtml(label) + "</a></p>";
    }
}
