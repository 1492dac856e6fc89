package org.besip.pbx.internal.sip;

import java.util.Locale;

/**
 * A Via header value (RFC 3261 §20.42): {@code SIP/2.0/UDP host:port;branch=…;rport;received=…}.
 *
 * @param transport upper case: UDP, TCP, TLS…
 * @param host the sent-by host, brackets of an IPv6 reference removed
 * @param port the sent-by port, or -1 when the Via names none
 * @param params what follows the sent-by, from its first {@code ;} (may be empty)
 */
public record Via(String transport, String host, int port, String params) {

    /** The Via in {@code value}, or null when it is not one. */
    public static Via parse(String value) {
        if (value == null) {
            return null;
        }
        String v = value.trim();
        if (v.length() < 9 || !v.substring(0, 8).equalsIgnoreCase("SIP/2.0/")) {
            return null;
        }
        int i = 8;
        int t = i;
        while (i < v.length() && Character.isLetter(v.charAt(i))) {
            i++;
        }
        if (i == t || i >= v.length() || !Character.isWhitespace(v.charAt(i))) {
            return null;
        }
        String transport = v.substring(t, i).toUpperCase(Locale.ROOT);
        while (i < v.length() && Character.isWhitespace(v.charAt(i))) {
            i++;
        }
        String host;
        if (i < v.length() && v.charAt(i) == '[') {
            int close = v.indexOf(']', i);
            if (close < 0) {
                return null;
            }
            host = v.substring(i + 1, close);
            i = close + 1;
        } else {
            int h = i;
            while (i < v.length() && ":;".indexOf(v.charAt(i)) < 0 && !Character.isWhitespace(v.charAt(i))) {
                i++;
            }
            host = v.substring(h, i);
        }
        if (host.isEmpty()) {
            return null;
        }
        int port = -1;
        if (i < v.length() && v.charAt(i) == ':') {
            int p = ++i;
            while (i < v.length() && Character.isDigit(v.charAt(i))) {
                i++;
            }
            if (i == p || i - p > 5) {
                return null;
            }
            port = Integer.parseInt(v.substring(p, i));
        }
        return new Via(transport, host, port, v.substring(i));
    }

    /** A parameter's value ("" for a flag such as rport without a value), or null when absent. */
    public String param(String name) {
        return param(params, name);
    }

    /** The same of a {@code ;}-separated parameter string. */
    public static String param(String params, String name) {
        for (String p : params.split(";")) {
            String[] kv = p.trim().split("=", 2);
            if (kv[0].trim().equalsIgnoreCase(name)) {
                return kv.length > 1 ? kv[1].trim() : "";
            }
        }
        return null;
    }

    /** Whether it names a stream transport (TCP, TLS): no retransmissions, answers over the connection. */
    public boolean stream() {
        return !transport.equals("UDP");
    }

    /** The sent-by port, 5060 when absent. */
    public int portOr5060() {
        return port < 0 ? 5060 : port;
    }
}
