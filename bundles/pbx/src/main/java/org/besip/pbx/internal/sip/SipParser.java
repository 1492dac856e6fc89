package org.besip.pbx.internal.sip;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses one SIP message from a datagram (RFC 3261 §7, §25): CRLF or bare LF lines, header
 * folding, compact header names, comma-separated values split where the grammar allows, the
 * body sized by Content-Length. Bounded: a message over {@link #MAX_BYTES} or with more than
 * {@link #MAX_HEADERS} header values is refused. Pure: no I/O.
 */
public final class SipParser {

    public static final int MAX_BYTES = 65_535;
    public static final int MAX_HEADERS = 256;

    /** RFC 3261 §7.3.3 and the registries: compact form to full name. */
    private static final Map<String, String> COMPACT = Map.ofEntries(Map.entry("i", "Call-ID"), Map.entry("m", "Contact"),
            Map.entry("e", "Content-Encoding"), Map.entry("l", "Content-Length"), Map.entry("c", "Content-Type"),
            Map.entry("f", "From"), Map.entry("s", "Subject"), Map.entry("k", "Supported"), Map.entry("t", "To"),
            Map.entry("v", "Via"), Map.entry("o", "Event"), Map.entry("r", "Refer-To"), Map.entry("u", "Allow-Events"),
            Map.entry("x", "Session-Expires"), Map.entry("y", "Identity"), Map.entry("b", "Referred-By"),
            Map.entry("a", "Accept-Contact"), Map.entry("j", "Reject-Contact"), Map.entry("d", "Request-Disposition"));

    /** Canonical spelling of common headers, for messages that write them in another case. */
    private static final Map<String, String> CANONICAL = new java.util.HashMap<>();

    static {
        for (String n : List.of("Via", "From", "To", "Call-ID", "CSeq", "Contact", "Max-Forwards", "Content-Length",
                "Content-Type", "Expires", "Min-Expires", "Authorization", "WWW-Authenticate", "Proxy-Authorization",
                "Proxy-Authenticate", "Route", "Record-Route", "User-Agent", "Server", "Allow", "Supported", "Require",
                "Proxy-Require", "Unsupported", "Path", "Accept", "Event", "Subject", "Refer-To", "Referred-By")) {
            CANONICAL.put(n.toLowerCase(Locale.ROOT), n);
        }
        COMPACT.values().forEach(n -> CANONICAL.putIfAbsent(n.toLowerCase(Locale.ROOT), n));
    }

    /** Headers whose comma-separated values are separate values (RFC 3261 §7.3.1); auth headers are not. */
    private static final Set<String> MULTI = Set.of("via", "contact", "route", "record-route", "allow", "supported",
            "require", "proxy-require", "unsupported", "path", "accept", "allow-events");

    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9.!%*_+`'~-]+");
    private static final Pattern REQUEST_LINE = Pattern.compile("([A-Za-z0-9.!%*_+`'~-]+) (\\S+) SIP/2\\.0");
    private static final Pattern STATUS_LINE = Pattern.compile("SIP/2\\.0 ([1-6]\\d\\d) ?(.*)");

    private SipParser() {
    }

    public static SipMessage parse(byte[] data, int off, int len) throws SipParseException {
        if (len > MAX_BYTES) {
            throw new SipParseException("Message Too Large");
        }
        int headEnd = headerEnd(data, off, len);
        if (headEnd < 0) {
            throw new SipParseException("Incomplete Message");
        }
        String head = new String(data, off, headEnd - off, StandardCharsets.UTF_8);
        List<String> lines = unfold(head);
        if (lines.isEmpty()) {
            throw new SipParseException("Empty Message");
        }
        String start = lines.get(0);
        List<SipMessage.Header> headers = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new SipParseException("Bad Header Line " + i);
            }
            String raw = line.substring(0, colon).trim();
            if (!TOKEN.matcher(raw).matches()) {
                throw new SipParseException("Bad Header Name");
            }
            String lower = raw.toLowerCase(Locale.ROOT);
            String name = COMPACT.containsKey(lower) ? COMPACT.get(lower) : CANONICAL.getOrDefault(lower, raw);
            String value = line.substring(colon + 1).trim();
            if (MULTI.contains(name.toLowerCase(Locale.ROOT))) {
                for (String v : splitCommas(value)) {
                    headers.add(new SipMessage.Header(name, v));
                }
            } else {
                headers.add(new SipMessage.Header(name, value));
            }
            if (headers.size() > MAX_HEADERS) {
                throw new SipParseException("Too Many Headers");
            }
        }
        int bodyStart = headEnd + (data[headEnd] == '\r' ? 4 : 2);
        int available = off + len - bodyStart;
        int bodyLen = available;
        SipMessage probe = SipMessage.request("X", "x", headers, new byte[0]);
        String cl = probe.first("Content-Length");
        if (cl != null) {
            try {
                bodyLen = Integer.parseInt(cl.trim());
            } catch (NumberFormatException e) {
                throw new SipParseException("Bad Content-Length");
            }
            if (bodyLen < 0 || bodyLen > available) {
                throw new SipParseException("Bad Content-Length");
            }
        }
        byte[] body = new byte[Math.max(0, bodyLen)];
        System.arraycopy(data, bodyStart, body, 0, body.length);
        var req = REQUEST_LINE.matcher(start);
        if (req.matches()) {
            return SipMessage.request(req.group(1), req.group(2), headers, body); // methods are case-sensitive (§7.1)
        }
        var resp = STATUS_LINE.matcher(start);
        if (resp.matches()) {
            return SipMessage.response(Integer.parseInt(resp.group(1)), resp.group(2), headers, body);
        }
        throw new SipParseException("Bad Start Line");
    }

    /** Index of the blank line that ends the headers (CRLFCRLF or LFLF), or -1. */
    private static int headerEnd(byte[] d, int off, int len) {
        int end = off + len;
        for (int i = off; i + 1 < end; i++) {
            if (d[i] == '\r' && i + 3 < end && d[i + 1] == '\n' && d[i + 2] == '\r' && d[i + 3] == '\n') {
                return i;
            }
            if (d[i] == '\n' && d[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Lines of the header section, continuation lines (leading space or tab) joined (§7.3.1). */
    private static List<String> unfold(String head) {
        List<String> lines = new ArrayList<>();
        // split by hand, not with String.split("\r?\n"): that compiles its pattern on every message
        for (int from = 0, nl; from >= 0; from = nl < 0 ? -1 : nl + 1) {
            nl = head.indexOf('\n', from);
            int end = nl < 0 ? head.length() : nl;
            String l = head.substring(from, end > from && head.charAt(end - 1) == '\r' ? end - 1 : end);
            if (!lines.isEmpty() && !l.isEmpty() && (l.charAt(0) == ' ' || l.charAt(0) == '\t')) {
                lines.set(lines.size() - 1, lines.get(lines.size() - 1) + " " + l.trim());
            } else if (!l.isEmpty() || lines.isEmpty()) {
                lines.add(l);
            }
        }
        return lines;
    }

    /** Splits on commas outside quotes and angle brackets. */
    static List<String> splitCommas(String value) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' && (i == 0 || value.charAt(i - 1) != '\\')) {
                quoted = !quoted;
            } else if (!quoted && c == '<') {
                depth++;
            } else if (!quoted && c == '>') {
                depth = Math.max(0, depth - 1);
            } else if (!quoted && depth == 0 && c == ',') {
                out.add(value.substring(start, i).trim());
                start = i + 1;
            }
        }
        out.add(value.substring(start).trim());
        return out;
    }
}
