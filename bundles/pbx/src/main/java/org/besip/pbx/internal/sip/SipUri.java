package org.besip.pbx.internal.sip;

import java.util.Locale;

/**
 * A SIP or SIPS URI's user, host and port (RFC 3261 §19.1), read from the URI itself or from a
 * name-addr around it ({@code "Bob" <sip:bob@host:5070;transport=tcp>}). Lenient the way the box
 * has to be with phones in the wild, strict where routing depends on it: a user part stops at
 * {@code @} and never holds {@code ;} or {@code >}; the host is an IPv6 reference in brackets or
 * runs to {@code :}, {@code ;}, {@code ?} or {@code >}; the port is digits.
 *
 * @param user the user part as written (case kept: numbers, {@code +}), or null
 * @param host as written, brackets of an IPv6 reference removed
 * @param port the port, or -1 when the URI names none
 * @param params the URI parameters after host and port ({@code ;transport=tcp;lr}), "" when none
 */
public record SipUri(boolean secure, String user, String host, int port, String params) {

    public SipUri(boolean secure, String user, String host, int port) {
        this(secure, user, host, port, "");
    }

    /** The URI in {@code text}, or null when it holds no sip: or sips: URI. */
    public static SipUri parse(String text) {
        if (text == null) {
            return null;
        }
        String s = text.trim();
        int lt = s.indexOf('<');
        if (lt >= 0) {
            int gt = s.indexOf('>', lt);
            s = s.substring(lt + 1, gt < 0 ? s.length() : gt).trim();
        }
        String lower = s.length() >= 5 ? s.substring(0, 5).toLowerCase(Locale.ROOT) : s.toLowerCase(Locale.ROOT);
        boolean secure = lower.startsWith("sips:");
        if (!secure && !lower.startsWith("sip:")) {
            return null;
        }
        String rest = s.substring(secure ? 5 : 4);
        String user = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            String u = rest.substring(0, at);
            if (u.indexOf(';') < 0 && u.indexOf('>') < 0) { // else what looks like a user is a host's parameters: "sip:host;x=a@b"
                user = u.isEmpty() ? null : u;
                rest = rest.substring(at + 1);
            }
        }
        String host;
        int after;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0) {
                return null;
            }
            host = rest.substring(1, close);
            after = close + 1;
        } else {
            int end = 0;
            while (end < rest.length() && ":;?>".indexOf(rest.charAt(end)) < 0) {
                end++;
            }
            host = rest.substring(0, end);
            after = end;
        }
        if (host.isEmpty()) {
            return null;
        }
        int port = -1;
        if (after < rest.length() && rest.charAt(after) == ':') {
            int end = after + 1;
            while (end < rest.length() && Character.isDigit(rest.charAt(end))) {
                end++;
            }
            if (end > after + 1 && end - after - 1 <= 5) {
                port = Integer.parseInt(rest.substring(after + 1, end));
            }
            after = end;
        }
        String params = "";
        if (after < rest.length() && rest.charAt(after) == ';') {
            int end = after;
            while (end < rest.length() && "?>".indexOf(rest.charAt(end)) < 0) {
                end++;
            }
            params = rest.substring(after, end);
        }
        return new SipUri(secure, user, host, port, params);
    }

    /** A URI parameter's value ("" for a flag such as {@code lr}), or null when absent; names in any case. */
    public String param(String name) {
        return Via.param(params, name);
    }

    /** The user part lower-cased (how users are named in the configuration), or null. */
    public String userLowerCase() {
        return user == null ? null : user.toLowerCase(Locale.ROOT);
    }

    /** The port, or {@code otherwise} when the URI names none. */
    public int portOr(int otherwise) {
        return port < 0 ? otherwise : port;
    }
}
