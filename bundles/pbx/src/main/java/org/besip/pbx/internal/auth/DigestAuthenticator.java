package org.besip.pbx.internal.auth;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * SIP digest authentication (RFC 3261 §22, RFC 7616, RFC 8760): MD5 and SHA-256, qop=auth.
 * Nonces are stateless (time and an HMAC of it with a per-boot key) and expire; the last nonce
 * count seen per nonce is kept, bounded, so a replayed response is refused. Unknown users get
 * the same answer as wrong passwords: no user enumeration.
 */
public final class DigestAuthenticator {

    /** What a request's credentials came to. */
    public enum Outcome { OK, MISSING, WRONG, STALE, REPLAYED, MALFORMED }

    /**
     * A user's stored secret: the password, or HA1 per algorithm; and the challenges this user is
     * offered and may answer (empty: the box's).
     */
    public record Secret(String password, Map<String, String> ha1ByAlgorithm, java.util.List<String> algorithms) {
        public Secret(String password, Map<String, String> ha1ByAlgorithm) {
            this(password, ha1ByAlgorithm, java.util.List.of());
        }
    }

    /** The algorithms {@code secret}'s user is offered: its own, else the box's. */
    private java.util.List<String> offered(Secret secret) {
        return secret != null && secret.algorithms() != null && !secret.algorithms().isEmpty() ? secret.algorithms() : algorithms;
    }

    static final int MAX_NONCES = 16_384;
    private static final Pattern PARAM = Pattern.compile("([A-Za-z0-9_-]+)\\s*=\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|[^\\s,]+)");

    private final String realm;
    private final long nonceLifetimeMs;
    private final java.util.List<String> algorithms;
    private final byte[] key = new byte[32];
    private final java.util.concurrent.atomic.AtomicLong issued = new java.util.concurrent.atomic.AtomicLong();
    private final Map<String, Long> lastCount = new LinkedHashMap<>(256, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > MAX_NONCES;
        }
    };

    /** Offers SHA-256, then MD5 (RFC 8760: most preferred first). */
    public DigestAuthenticator(String realm, long nonceLifetimeMs) {
        this(realm, nonceLifetimeMs, java.util.List.of("SHA-256", "MD5"));
    }

    /**
     * @param algorithms the challenges offered, in order; clients that take the first challenge
     *                   without looking (sipp, older phones) need MD5 first
     */
    public DigestAuthenticator(String realm, long nonceLifetimeMs, java.util.List<String> algorithms) {
        this(realm, nonceLifetimeMs, algorithms, null);
    }

    /**
     * @param key the nonces' HMAC key (32 bytes), kept by the module across configurations and
     *            versions so the nonces it gave out stay good; null: a new random key
     */
    public DigestAuthenticator(String realm, long nonceLifetimeMs, java.util.List<String> algorithms, byte[] key) {
        if (key != null && key.length != this.key.length) {
            throw new IllegalArgumentException("a nonce key of " + this.key.length + " bytes");
        }
        for (String a : algorithms) {
            if (!a.equals("MD5") && !a.equals("SHA-256")) {
                throw new IllegalArgumentException("digest algorithm " + a + " is not MD5 or SHA-256");
            }
        }
        if (algorithms.isEmpty()) {
            throw new IllegalArgumentException("at least one digest algorithm");
        }
        this.realm = realm;
        this.nonceLifetimeMs = nonceLifetimeMs;
        this.algorithms = java.util.List.copyOf(algorithms);
        if (key == null) {
            new SecureRandom().nextBytes(this.key);
        } else {
            System.arraycopy(key, 0, this.key, 0, key.length);
        }
    }

    /** Whether this authenticator challenges as one made with these settings would. */
    public boolean sameAs(String realm, long nonceLifetimeMs, java.util.List<String> algorithms) {
        return this.realm.equals(realm) && this.nonceLifetimeMs == nonceLifetimeMs && this.algorithms.equals(algorithms);
    }

    /** The last nonce count seen of each nonce, oldest first (what a next authenticator needs to refuse replays). */
    public synchronized Map<String, Long> counts() {
        return new LinkedHashMap<>(lastCount);
    }

    /** Takes on the nonce counts another authenticator with the same key saw. */
    public synchronized void counts(Map<String, Long> seen) {
        seen.forEach(lastCount::putIfAbsent);
    }

    /** WWW-Authenticate values for a 401, one per algorithm offered, in order. */
    public String[] challenges(boolean stale, long now) {
        return challenges(stale, now, null);
    }

    /** The same for the user whose secret is {@code secret} (null: unknown, the box's challenges). */
    public String[] challenges(boolean stale, long now, Secret secret) {
        String nonce = nonce(now);
        String common = "realm=\"" + realm + "\", nonce=\"" + nonce + "\", qop=\"auth\"" + (stale ? ", stale=true" : "");
        return offered(secret).stream().map(a -> "Digest " + common + ", algorithm=" + a).toArray(String[]::new);
    }

    /** Checks an Authorization value for {@code method}; {@code secrets} finds a user's secret (null if unknown). */
    public synchronized Outcome check(String authorization, String method, long now, Function<String, Secret> secrets) {
        if (authorization == null) {
            return Outcome.MISSING;
        }
        if (!authorization.regionMatches(true, 0, "Digest ", 0, 7)) {
            return Outcome.MALFORMED;
        }
        Map<String, String> p = params(authorization.substring(7));
        String user = p.get("username");
        String nonce = p.get("nonce");
        String uri = p.get("uri");
        String response = p.get("response");
        String algorithm = p.getOrDefault("algorithm", "MD5").toUpperCase(Locale.ROOT);
        if (user == null || nonce == null || uri == null || response == null || !realm.equals(p.get("realm"))
                || !algorithm.equals("MD5") && !algorithm.equals("SHA-256")) {
            return Outcome.MALFORMED;
        }
        Secret secret = secrets.apply(user);
        if (!offered(secret).contains(algorithm)) {
            return Outcome.MALFORMED; // an algorithm this user is not offered
        }
        Long issued = verifyNonce(nonce);
        if (issued == null) {
            return Outcome.WRONG;
        }
        String qop = p.get("qop");
        String nc = p.get("nc");
        String cnonce = p.get("cnonce");
        if (qop != null && (!qop.equals("auth") || nc == null || cnonce == null || !nc.matches("[0-9a-fA-F]{8}"))) {
            return Outcome.MALFORMED;
        }
        String expected = secret == null ? null : response(algorithm, secret, user, method, uri, nonce, qop, nc, cnonce);
        if (expected == null || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                response.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII))) {
            return Outcome.WRONG;
        }
        if (now - issued > nonceLifetimeMs) {
            return Outcome.STALE;
        }
        if (qop != null) {
            long count = Long.parseLong(nc, 16);
            Long last = lastCount.get(nonce);
            if (last != null && count <= last) {
                return Outcome.REPLAYED;
            }
            lastCount.put(nonce, count);
        }
        return Outcome.OK;
    }

    /** RFC 7616 §3.4.1 with qop=auth, or RFC 2069 style without qop; what a client would send. */
    public String response(String algorithm, Secret secret, String user, String method, String uri, String nonce, String qop,
            String nc, String cnonce) {
        String ha1 = secret.password() != null ? hash(algorithm, user + ":" + realm + ":" + secret.password())
                : secret.ha1ByAlgorithm().get(algorithm);
        if (ha1 == null) {
            return null;
        }
        String ha2 = hash(algorithm, method + ":" + uri);
        return qop == null ? hash(algorithm, ha1 + ":" + nonce + ":" + ha2)
                : hash(algorithm, ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2);
    }

    /** The username of a Digest Authorization or Proxy-Authorization value, parsed as {@link #check} parses it; or null. */
    public static String username(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Digest ", 0, 7)) {
            return null;
        }
        return params(authorization.substring(7)).get("username");
    }

    /**
     * The client side (the box registering with a provider): the Authorization value answering
     * {@code challenge} (a WWW-Authenticate or Proxy-Authenticate value), or null when the
     * challenge is not a Digest one with MD5 or SHA-256.
     */
    public static String answer(String challenge, String user, String password, String method, String uri, int nc, String cnonce) {
        if (challenge == null || !challenge.regionMatches(true, 0, "Digest ", 0, 7)) {
            return null;
        }
        Map<String, String> p = params(challenge.substring(7));
        String realm = p.get("realm");
        String nonce = p.get("nonce");
        String algorithm = p.getOrDefault("algorithm", "MD5").toUpperCase(Locale.ROOT);
        if (realm == null || nonce == null || !(algorithm.equals("MD5") || algorithm.equals("SHA-256"))) {
            return null;
        }
        String qop = p.get("qop");
        boolean auth = qop != null && java.util.Arrays.stream(qop.split(",")).anyMatch(q -> q.trim().equals("auth"));
        String count = String.format("%08x", nc);
        String ha1 = hash(algorithm, user + ":" + realm + ":" + password);
        String ha2 = hash(algorithm, method + ":" + uri);
        String response = auth ? hash(algorithm, ha1 + ":" + nonce + ":" + count + ":" + cnonce + ":auth:" + ha2)
                : hash(algorithm, ha1 + ":" + nonce + ":" + ha2);
        StringBuilder sb = new StringBuilder("Digest username=\"").append(user).append("\", realm=\"").append(realm)
                .append("\", nonce=\"").append(nonce).append("\", uri=\"").append(uri).append("\", response=\"").append(response)
                .append("\", algorithm=").append(algorithm);
        if (auth) {
            sb.append(", qop=auth, nc=").append(count).append(", cnonce=\"").append(cnonce).append('"');
        }
        if (p.get("opaque") != null) {
            sb.append(", opaque=\"").append(p.get("opaque")).append('"');
        }
        return sb.toString();
    }

    static String hash(String algorithm, String text) {
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm.equals("SHA-256") ? "SHA-256" : "MD5");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A nonce issued at {@code now}; unique per challenge (a counter beside the time), so that
     * two challenges in the same millisecond do not share replay state. Also what a test client uses.
     */
    public String nonce(long now) {
        ByteBuffer b = ByteBuffer.allocate(16 + 16);
        b.putLong(now);
        b.putLong(issued.incrementAndGet());
        b.put(mac(b.array(), 16), 0, 16);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    /** The time a nonce of ours was issued, or null if it is not ours. */
    private Long verifyNonce(String nonce) {
        try {
            byte[] raw = Base64.getUrlDecoder().decode(nonce);
            if (raw.length != 32) {
                return null;
            }
            byte[] expected = new byte[16];
            System.arraycopy(mac(raw, 16), 0, expected, 0, 16);
            byte[] tag = java.util.Arrays.copyOfRange(raw, 16, 32);
            return MessageDigest.isEqual(tag, expected) ? ByteBuffer.wrap(raw).getLong() : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** HMAC-SHA256 of the first {@code len} bytes of {@code data} with the per-boot key. */
    private byte[] mac(byte[] data, int len) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            m.update(data, 0, len);
            return m.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The last header value parsed on this thread and its parameters: a request's credentials are
     * read twice (who the caller is, then the check), so the second read costs nothing.
     */
    private static final ThreadLocal<Object[]> LAST = ThreadLocal.withInitial(() -> new Object[2]);

    @SuppressWarnings("unchecked")
    static Map<String, String> params(String s) {
        Object[] last = LAST.get();
        if (s.equals(last[0])) {
            return (Map<String, String>) last[1];
        }
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = PARAM.matcher(s);
        while (m.find()) {
            String v = m.group(3) != null ? unescape(m.group(3)) : m.group(2);
            out.putIfAbsent(m.group(1).toLowerCase(Locale.ROOT), v);
        }
        Map<String, String> parsed = java.util.Collections.unmodifiableMap(out);
        last[0] = s;
        last[1] = parsed;
        return parsed;
    }

    /** A quoted-string's content with its quoted-pairs ({@code \x}) undone. */
    private static String unescape(String q) {
        if (q.indexOf('\\') < 0) {
            return q;
        }
        StringBuilder sb = new StringBuilder(q.length());
        for (int i = 0; i < q.length(); i++) {
            char c = q.charAt(i);
            if (c == '\\' && i + 1 < q.length()) {
                c = q.charAt(++i);
            }
            sb.append(c);
        }
        return sb.toString();
    }
}
