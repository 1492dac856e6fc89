package org.besip.pbx.internal.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.besip.pbx.internal.auth.DigestAuthenticator.Outcome;
import org.besip.pbx.internal.auth.DigestAuthenticator.Secret;
import org.junit.jupiter.api.Test;

class DigestAuthenticatorTest {

    static final Secret MUFASA = new Secret("Circle of Life", Map.of());

    @Test
    void rfcExampleVectorsForMd5AndSha256() {
        // RFC 2617 §3.5 (MD5, qop=auth)
        DigestAuthenticator rfc2617 = new DigestAuthenticator("testrealm@host.com", 60_000);
        // RFC 2617 spells the password "Circle Of Life", RFC 7616 "Circle of Life"
        assertEquals("6629fae49393a05397450978507c4ef1", rfc2617.response("MD5", new Secret("Circle Of Life", Map.of()), "Mufasa", "GET", "/dir/index.html",
                "dcd98b7102dd2f0e8b11d0f600bfb0c093", "auth", "00000001", "0a4f113b"));
        // RFC 7616 §3.9.1 (SHA-256, qop=auth)
        DigestAuthenticator rfc7616 = new DigestAuthenticator("http-auth@example.org", 60_000);
        assertEquals("753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", rfc7616.response("SHA-256", MUFASA,
                "Mufasa", "GET", "/dir/index.html", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "auth", "00000001",
                "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"));
    }

    static String authorization(DigestAuthenticator a, String algorithm, String user, String password, String nonce, String nc) {
        String response = a.response(algorithm, new Secret(password, Map.of()), user, "REGISTER", "sip:127.0.0.1", nonce, "auth",
                nc, "c0ffee");
        return "Digest username=\"" + user + "\", realm=\"besip\", nonce=\"" + nonce + "\", uri=\"sip:127.0.0.1\", response=\""
                + response + "\", algorithm=" + algorithm + ", qop=auth, nc=" + nc + ", cnonce=\"c0ffee\"";
    }

    @Test
    void theRightPasswordPassesOnceAndAReplayDoesNot() {
        DigestAuthenticator a = new DigestAuthenticator("besip", 60_000);
        String nonce = a.nonce(1000);
        var users = Map.of("alice", new Secret("s3cret", Map.of()));
        for (String algorithm : new String[] { "MD5", "SHA-256" }) {
            String nc1 = algorithm.equals("MD5") ? "00000001" : "00000003";
            String nc2 = algorithm.equals("MD5") ? "00000002" : "00000004";
            assertEquals(Outcome.OK, a.check(authorization(a, algorithm, "alice", "s3cret", nonce, nc1), "REGISTER", 2000, users::get));
            assertEquals(Outcome.REPLAYED, a.check(authorization(a, algorithm, "alice", "s3cret", nonce, nc1), "REGISTER", 2000,
                    users::get));
            assertEquals(Outcome.OK, a.check(authorization(a, algorithm, "alice", "s3cret", nonce, nc2), "REGISTER", 2000, users::get));
        }
    }

    @Test
    void wrongPasswordsUnknownUsersForgedAndOldNoncesAreTold() {
        DigestAuthenticator a = new DigestAuthenticator("besip", 60_000);
        var users = Map.of("alice", new Secret("s3cret", Map.of()));
        String nonce = a.nonce(1000);
        assertEquals(Outcome.WRONG, a.check(authorization(a, "MD5", "alice", "guess", nonce, "00000001"), "REGISTER", 2000, users::get));
        assertEquals(Outcome.WRONG, a.check(authorization(a, "MD5", "mallory", "x", nonce, "00000001"), "REGISTER", 2000, users::get),
                "an unknown user looks like a wrong password");
        assertEquals(Outcome.WRONG, a.check(authorization(a, "MD5", "alice", "s3cret", "Zm9yZ2Vk", "00000001"), "REGISTER", 2000,
                users::get), "a nonce we did not issue");
        assertEquals(Outcome.STALE, a.check(authorization(a, "MD5", "alice", "s3cret", nonce, "00000001"), "REGISTER", 70_000,
                users::get), "right password, expired nonce: stale=true");
        assertEquals(Outcome.MISSING, a.check(null, "REGISTER", 0, users::get));
        assertEquals(Outcome.MALFORMED, a.check("Basic YWxpY2U6eA==", "REGISTER", 0, users::get));
    }

    @Test
    void challengesInTheSameMillisecondGetDifferentNonces() {
        DigestAuthenticator a = new DigestAuthenticator("besip", 60_000);
        var users = Map.of("alice", new Secret("s3cret", Map.of()));
        String n1 = a.nonce(1000);
        String n2 = a.nonce(1000);
        assertEquals(false, n1.equals(n2));
        assertEquals(Outcome.OK, a.check(authorization(a, "MD5", "alice", "s3cret", n1, "00000001"), "REGISTER", 2000, users::get));
        assertEquals(Outcome.OK, a.check(authorization(a, "MD5", "alice", "s3cret", n2, "00000001"), "REGISTER", 2000, users::get),
                "each client starts its own count at 1");
    }

    @Test
    void aStoredHa1IsEnoughNoPasswordNeeded() {
        DigestAuthenticator a = new DigestAuthenticator("besip", 60_000);
        String ha1 = DigestAuthenticator.hash("MD5", "alice:besip:s3cret");
        var users = Map.of("alice", new Secret(null, Map.of("MD5", ha1)));
        String nonce = a.nonce(1000);
        assertEquals(Outcome.OK, a.check(authorization(a, "MD5", "alice", "s3cret", nonce, "00000001"), "REGISTER", 2000, users::get));
    }

    @Test
    void challengesOfferSha256BeforeMd5() {
        String[] c = new DigestAuthenticator("besip", 60_000).challenges(true, 0);
        assertEquals(2, c.length);
        assertEquals(true, c[0].contains("algorithm=SHA-256") && c[0].contains("stale=true") && c[0].contains("qop=\"auth\""));
        assertEquals(true, c[1].contains("algorithm=MD5"));
    }
}
