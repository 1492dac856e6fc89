package org.besip.pbx.internal.sip;

/**
 * A From, To, Contact or Record-Route value (RFC 3261 §20.10, §25.1): its URI, inside the angle
 * brackets of a name-addr or a bare addr-spec, and the header parameters after it ({@code tag},
 * {@code expires}, …). The one place header values are taken apart; {@link Via} does the same for
 * Via. Pure.
 */
public record NameAddr(String uri, String params) {

    /** The parts of {@code value}; null for null. A value without a URI gives an empty one. */
    public static NameAddr parse(String value) {
        if (value == null) {
            return null;
        }
        int lt = value.indexOf('<');
        int gt = lt < 0 ? -1 : value.indexOf('>', lt);
        if (gt > lt) {
            return new NameAddr(value.substring(lt + 1, gt).trim(), value.substring(gt + 1));
        }
        int semi = value.indexOf(';');
        return semi < 0 ? new NameAddr(value.trim(), "") : new NameAddr(value.substring(0, semi).trim(), value.substring(semi));
    }

    /** A header parameter's value ("" for a flag), or null when absent. */
    public String param(String name) {
        return Via.param(params, name);
    }

    /** The tag parameter, or null when absent or empty. */
    public String tag() {
        String t = param("tag");
        return t == null || t.isEmpty() ? null : t;
    }

    /** The expires parameter in seconds (at most Integer.MAX_VALUE), or {@code otherwise} when absent or not a number. */
    public int expires(int otherwise) {
        String e = param("expires");
        if (e == null || e.isEmpty() || e.length() > 18 || !e.chars().allMatch(Character::isDigit)) {
            return otherwise;
        }
        return (int) Math.min(Integer.MAX_VALUE, Long.parseLong(e));
    }

    /** Whether the URI is a SIP or SIPS URI. */
    public boolean sip() {
        String u = uri.toLowerCase(java.util.Locale.ROOT);
        return (u.startsWith("sip:") || u.startsWith("sips:")) && u.length() > (u.startsWith("sips:") ? 5 : 4);
    }
}
