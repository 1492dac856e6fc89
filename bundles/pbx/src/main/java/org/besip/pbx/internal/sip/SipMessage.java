package org.besip.pbx.internal.sip;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A SIP request or response (RFC 3261 §7): start line, headers in their order with full names
 * (compact forms expanded), body. Header names compare case-insensitively; a header that
 * occurred several times, or held comma-separated values, is a list of values.
 */
public final class SipMessage {

    /** One header field value with its canonical name. */
    public record Header(String name, String value) {
    }

    private final String method;
    private final String uri;
    private final int status;
    private final String reason;
    private final List<Header> headers;
    private final byte[] body;

    private SipMessage(String method, String uri, int status, String reason, List<Header> headers, byte[] body) {
        this.method = method;
        this.uri = uri;
        this.status = status;
        this.reason = reason;
        this.headers = headers;
        this.body = body;
    }

    public static SipMessage request(String method, String uri, List<Header> headers, byte[] body) {
        return new SipMessage(method, uri, 0, null, new ArrayList<>(headers), body);
    }

    public static SipMessage response(int status, String reason, List<Header> headers, byte[] body) {
        return new SipMessage(null, null, status, reason, new ArrayList<>(headers), body);
    }

    public boolean isRequest() {
        return method != null;
    }

    public String method() {
        return method;
    }

    public String uri() {
        return uri;
    }

    public int status() {
        return status;
    }

    public String reason() {
        return reason;
    }

    public List<Header> headers() {
        return headers;
    }

    public byte[] body() {
        return body;
    }

    /** The same message (the same header list) with another body; Content-Length follows it on the wire. */
    public SipMessage withBody(byte[] b) {
        return new SipMessage(method, uri, status, reason, headers, b);
    }

    /** The first value of header {@code name}, or null. */
    public String first(String name) {
        for (Header h : headers) {
            if (h.name().equalsIgnoreCase(name)) {
                return h.value();
            }
        }
        return null;
    }

    /** Every value of header {@code name}, in order. */
    public List<String> all(String name) {
        List<String> out = new ArrayList<>();
        for (Header h : headers) {
            if (h.name().equalsIgnoreCase(name)) {
                out.add(h.value());
            }
        }
        return out;
    }

    /**
     * A response to this request (RFC 3261 §8.2.6): Via, From, To, Call-ID and CSeq copied,
     * a To tag added when {@code toTag} is given and the To has none.
     */
    public SipMessage answer(int status, String reason, String toTag) {
        List<Header> h = new ArrayList<>();
        for (String name : List.of("Via", "From", "To", "Call-ID", "CSeq")) {
            for (String v : all(name)) {
                if (name.equals("To") && toTag != null && !v.toLowerCase(Locale.ROOT).contains(";tag=")) {
                    v = v + ";tag=" + toTag;
                }
                h.add(new Header(name, v));
            }
        }
        return response(status, reason, h, new byte[0]);
    }

    /** The tag parameter of a From or To value (after the name-addr), or null. */
    public static String tag(String nameAddr) {
        NameAddr n = NameAddr.parse(nameAddr);
        return n == null ? null : n.tag();
    }

    /**
     * The URI of a header value: inside the angle brackets of a name-addr, or a bare addr-spec
     * without the header parameters that follow it (RFC 3261 §20).
     */
    public static String addrSpec(String value) {
        NameAddr n = NameAddr.parse(value);
        return n == null ? null : n.uri();
    }

    /** The message on the wire, with a Content-Length that matches the body. */
    public byte[] toBytes() {
        StringBuilder sb = new StringBuilder(256);
        sb.append(isRequest() ? method + " " + uri + " SIP/2.0" : "SIP/2.0 " + status + " " + reason).append("\r\n");
        for (Header h : headers) {
            if (!h.name().equalsIgnoreCase("Content-Length")) {
                sb.append(h.name()).append(": ").append(h.value()).append("\r\n");
            }
        }
        sb.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        byte[] head = sb.toString().getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[head.length + body.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(body, 0, out, head.length, body.length);
        return out;
    }
}
