package org.besip.pbx.internal;

import org.besip.pbx.internal.auth.AuthFailures;
import java.net.InetSocketAddress;
import java.util.List;

import org.besip.pbx.internal.proxy.Proxy;
import org.besip.pbx.internal.registrar.Registrar;
import org.besip.pbx.internal.sip.SipMessage;
import org.besip.pbx.internal.sip.SipParseException;
import org.besip.pbx.internal.sip.SipParser;

/**
 * What the box answers itself: REGISTER (registrar), OPTIONS (keep-alive, 200); everything else
 * goes to the proxy, or, for a registrar without one (StandaloneRegistrar), is answered 501.
 * Malformed requests get a 400 with the reason; malformed responses and anything unparseable
 * without a Via are dropped.
 */
public final class SipServer {

    static final String ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, MESSAGE, INFO, UPDATE, REFER, PRACK, SUBSCRIBE, NOTIFY, PUBLISH";

    private final Registrar registrar;
    private final AuthFailures failures;
    private final Proxy proxy;
    private volatile java.util.function.Consumer<InetSocketAddress> authenticated = src -> { };

    /** A registrar only: requests to route are answered 501. */
    public SipServer(Registrar registrar, AuthFailures failures) {
        this(registrar, failures, null);
    }

    public SipServer(Registrar registrar, AuthFailures failures, Proxy proxy) {
        this.registrar = registrar;
        this.failures = failures;
        this.proxy = proxy;
    }

    /** Told of each source whose REGISTER authenticated (a TCP transport then keeps its connection like a phone's). */
    public SipServer onAuthenticated(java.util.function.Consumer<InetSocketAddress> c) {
        this.authenticated = c;
        return this;
    }

    public byte[] handle(byte[] data, int len, InetSocketAddress source) {
        SipMessage m;
        try {
            m = SipParser.parse(data, 0, len);
        } catch (SipParseException e) {
            return badRequest(data, len, e.getMessage());
        }
        if (!m.isRequest()) {
            if (proxy != null) {
                proxy.response(m);
            }
            return null;
        }
        String cseq = m.first("CSeq");
        if (m.first("Via") == null || m.first("Call-ID") == null || m.first("From") == null || m.first("To") == null
                || cseq == null || !cseq.trim().endsWith(m.method())) {
            return m.answer(400, "Missing Or Inconsistent Mandatory Header", null).toBytes();
        }
        String maxForwards = m.first("Max-Forwards");
        if (maxForwards != null && maxForwards.trim().equals("0") && !m.method().equals("OPTIONS")) {
            return m.answer(483, "Too Many Hops", null).toBytes();
        }
        boolean ack = m.method().equals("ACK");
        String uri = m.uri().toLowerCase(java.util.Locale.ROOT);
        if (!uri.startsWith("sip:") && !uri.startsWith("sips:")) {
            return ack ? null : m.answer(416, "Unsupported URI Scheme", null).toBytes(); // RFC 3261 §16.3 step 2
        }
        List<String> required = m.all("Proxy-Require");
        if (required.isEmpty() && boxAnswers(m)) {
            required = m.all("Require"); // §8.2.2.3: the box is the UAS of REGISTER and OPTIONS to itself
        }
        if (!required.isEmpty() && !ack && !m.method().equals("CANCEL")) {
            SipMessage r = m.answer(420, "Bad Extension", null); // §16.3 step 6: the box supports no extension that must be required
            r.headers().add(new SipMessage.Header("Unsupported", String.join(", ", required)));
            return r.toBytes();
        }
        String src = source.getAddress().getHostAddress() + ":" + source.getPort();
        switch (m.method()) {
            case "REGISTER" -> {
                Registrar.Result r = registrar.register(m, src, System.currentTimeMillis());
                if (r.authFailure() != null) {
                    failures.failed(source.getAddress().getHostAddress(), r.authFailure());
                } else if (r.response().status() == 200) {
                    authenticated.accept(source); // every REGISTER the box accepts carried good credentials
                }
                return r.response().toBytes();
            }
            case "INVITE", "ACK", "BYE", "CANCEL", "MESSAGE", "INFO", "UPDATE", "REFER", "PRACK", "SUBSCRIBE", "NOTIFY", "PUBLISH" -> {
                if (proxy == null) {
                    return m.method().equals("ACK") ? null : notImplemented(m);
                }
                if (toTheBox(m)) { // out of dialog to no user: the box is the target, and it is no presence or message server
                    SipMessage r = m.answer(405, "Method Not Allowed", null);
                    r.headers().add(new SipMessage.Header("Allow", "OPTIONS, REGISTER"));
                    return r.toBytes();
                }
                SipMessage answer = proxy.request(m, source, System.currentTimeMillis());
                return answer == null ? null : answer.toBytes();
            }
            case "OPTIONS" -> {
                if (proxy != null && proxy.forUser(m.uri())) {
                    SipMessage answer = proxy.request(m, source, System.currentTimeMillis()); // to a user's phone; anything else is a keep-alive to the box
                    return answer == null ? null : answer.toBytes();
                }
                SipMessage ok = m.answer(200, "OK", "besip");
                ok.headers().add(new SipMessage.Header("Allow", ALLOW));
                return ok.toBytes();
            }
            default -> {
                SipMessage r = m.answer(405, "Method Not Allowed", null);
                r.headers().add(new SipMessage.Header("Allow", ALLOW));
                return r.toBytes();
            }
        }
    }

    /** An out-of-dialog request (not ACK or CANCEL, which belong to a transaction) whose Request-URI names no user. */
    private static boolean toTheBox(SipMessage m) {
        String method = m.method();
        return !method.equals("ACK") && !method.equals("CANCEL") && SipMessage.tag(m.first("To")) == null
                && !m.uri().trim().matches("(?i)sips?:[^@;>]+@.*");
    }

    private boolean boxAnswers(SipMessage m) {
        return m.method().equals("REGISTER") || m.method().equals("OPTIONS") && (proxy == null || !proxy.forUser(m.uri()));
    }

    private static byte[] notImplemented(SipMessage m) {
        SipMessage r = m.answer(501, "Not Implemented", null);
        r.headers().add(new SipMessage.Header("Allow", "OPTIONS, REGISTER"));
        return r.toBytes();
    }

    /** A 400 when the request carries enough (a Via and the headers a response copies) to answer it. */
    private static byte[] badRequest(byte[] data, int len, String reason) {
        String text = new String(data, 0, Math.min(len, 8192), java.nio.charset.StandardCharsets.UTF_8);
        if (text.startsWith("SIP/2.0")) {
            return null;
        }
        List<SipMessage.Header> copied = new java.util.ArrayList<>();
        for (String line : text.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                String name = line.substring(0, colon).trim();
                for (String want : List.of("Via", "From", "To", "Call-ID", "CSeq")) {
                    if (name.equalsIgnoreCase(want)) {
                        copied.add(new SipMessage.Header(want, line.substring(colon + 1).trim()));
                    }
                }
            }
        }
        if (copied.stream().noneMatch(h -> h.name().equals("Via"))) {
            return null;
        }
        return SipMessage.response(400, reason.replaceAll("[\\r\\n]", " "), copied, new byte[0]).toBytes();
    }
}
