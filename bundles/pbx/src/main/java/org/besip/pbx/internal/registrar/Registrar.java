package org.besip.pbx.internal.registrar;

import org.besip.pbx.internal.sip.SipUri;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

import org.besip.pbx.internal.auth.DigestAuthenticator;
import org.besip.pbx.internal.auth.DigestAuthenticator.Outcome;
import org.besip.pbx.internal.auth.DigestAuthenticator.Secret;
import org.besip.pbx.internal.sip.NameAddr;
import org.besip.pbx.internal.sip.SipMessage;

/**
 * The registrar (RFC 3261 §10.3): authenticates a REGISTER (always challenged when it carries no
 * credentials, for unknown users too), checks that the credentials are the To user's, then adds,
 * refreshes or removes bindings, with Min-Expires (423) and the wildcard {@code *}.
 */
public final class Registrar {

    /** What a REGISTER came to: the response, and the failure to report (null on success). */
    public record Result(SipMessage response, String authFailure) {
    }

    public static final int MIN_EXPIRES = 60;
    public static final int MAX_EXPIRES = 3600;

    private final DigestAuthenticator digest;
    private final Function<String, Secret> users;
    private final LocationService location;
    private final String toTag;

    public Registrar(DigestAuthenticator digest, Function<String, Secret> users, LocationService location, String toTag) {
        this.digest = digest;
        this.users = users;
        this.location = location;
        this.toTag = toTag;
    }

    public Result register(SipMessage req, String source, long now) {
        String aor = user(req.first("To"));
        if (aor == null) {
            return new Result(req.answer(400, "Bad To Header", toTag), null);
        }
        Outcome auth = digest.check(req.first("Authorization"), "REGISTER", now, users);
        switch (auth) {
            case OK -> {
            }
            case MISSING, STALE -> {
                return new Result(challenge(req, auth == Outcome.STALE, now), null);
            }
            case MALFORMED -> {
                return new Result(req.answer(400, "Bad Authorization Header", toTag), "malformed credentials");
            }
            default -> {
                return new Result(challenge(req, false, now), auth == Outcome.REPLAYED ? "replayed credentials" : "wrong credentials");
            }
        }
        String authUser = DigestAuthenticator.username(req.first("Authorization"));
        authUser = authUser == null ? null : authUser.toLowerCase(Locale.ROOT);
        if (!aor.equals(authUser)) {
            return new Result(req.answer(403, "Credentials Do Not Match To", toTag), "user " + authUser + " registering " + aor);
        }
        List<String> contacts = req.all("Contact");
        int defaultExpires = parseInt(req.first("Expires"), MAX_EXPIRES);
        if (contacts.size() == 1 && contacts.get(0).trim().equals("*")) {
            if (defaultExpires != 0) {
                return new Result(req.answer(400, "Wildcard Needs Expires 0", toTag), null);
            }
            location.removeAll(aor);
            return new Result(ok(req, aor, now), null);
        }
        for (String c : contacts) {
            if (c.trim().equals("*")) {
                return new Result(req.answer(400, "Wildcard With Other Contacts", toTag), null);
            }
            String uri = uri(c);
            if (uri == null) {
                return new Result(req.answer(400, "Bad Contact", toTag), null);
            }
            int expires = NameAddr.parse(c).expires(defaultExpires);
            if (expires > 0 && expires < MIN_EXPIRES) {
                SipMessage r = req.answer(423, "Interval Too Brief", toTag);
                r.headers().add(new SipMessage.Header("Min-Expires", String.valueOf(MIN_EXPIRES)));
                return new Result(r, null);
            }
        }
        for (String c : contacts) {
            String uri = uri(c);
            int expires = Math.min(MAX_EXPIRES, NameAddr.parse(c).expires(defaultExpires));
            if (expires == 0) {
                location.remove(aor, uri);
            } else if (!location.put(new Binding(aor, uri, now + expires * 1000L, req.first("Call-ID"), cseq(req.first("CSeq")),
                    req.first("User-Agent"), source), now)) {
                return new Result(req.answer(503, "Too Many Bindings", toTag), null);
            }
        }
        return new Result(ok(req, aor, now), null);
    }

    private SipMessage ok(SipMessage req, String aor, long now) {
        SipMessage r = req.answer(200, "OK", toTag);
        for (Binding b : location.local(aor, now)) {
            r.headers().add(new SipMessage.Header("Contact", "<" + b.contact() + ">;expires=" + Math.max(0, (b.expiresAtMs() - now) / 1000)));
        }
        return r;
    }

    private SipMessage challenge(SipMessage req, boolean stale, long now) {
        SipMessage r = req.answer(401, "Unauthorized", toTag);
        String user = user(req.first("To"));
        for (String c : digest.challenges(stale, now, user == null ? null : users.apply(user))) {
            r.headers().add(new SipMessage.Header("WWW-Authenticate", c));
        }
        return r;
    }

    static String user(String nameAddr) {
        if (nameAddr == null) {
            return null;
        }
        SipUri u = SipUri.parse(nameAddr);
        return u == null ? null : u.userLowerCase();
    }

    static String uri(String contact) {
        NameAddr n = NameAddr.parse(contact);
        return n != null && n.sip() ? n.uri() : null;
    }

    private static int parseInt(String s, int fallback) {
        try {
            return s == null ? fallback : Math.max(0, Integer.parseInt(s.trim()));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static long cseq(String s) {
        try {
            return s == null ? 0 : Long.parseLong(s.trim().split("\\s+")[0]);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Current bindings (this box's), for tests and the PBX page. */
    public List<Binding> bindings(String aor, long now) {
        return new ArrayList<>(location.local(aor, now));
    }
}
