package org.besip.pbx.internal.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.besip.pbx.internal.auth.DigestAuthenticator;
import org.besip.pbx.internal.auth.DigestAuthenticator.Secret;
import org.besip.pbx.internal.sip.SipMessage;
import org.junit.jupiter.api.Test;

class RegistrarTest {

    final DigestAuthenticator digest = new DigestAuthenticator("besip", 60_000);
    final Map<String, Secret> users = Map.of("alice", new Secret("s3cret", Map.of()), "bob", new Secret("pw", Map.of()));
    final Registrar registrar = new Registrar(digest, users::get, new LocationService(), "t");
    long nc = 1;

    /** The time the next request is made; its nonce is issued then. */
    long clock = 2000;

    SipMessage register(String user, String authUser, String password, List<String> contacts, String expires) {
        List<SipMessage.Header> h = new java.util.ArrayList<>(List.of(new SipMessage.Header("Via", "SIP/2.0/UDP 127.0.0.2;branch=z9hG4bK1"),
                new SipMessage.Header("From", "<sip:" + user + "@besip>;tag=1"), new SipMessage.Header("To", "<sip:" + user + "@besip>"),
                new SipMessage.Header("Call-ID", "c1"), new SipMessage.Header("CSeq", "1 REGISTER")));
        contacts.forEach(c -> h.add(new SipMessage.Header("Contact", c)));
        if (expires != null) {
            h.add(new SipMessage.Header("Expires", expires));
        }
        if (authUser != null) {
            String nonce = digest.nonce(clock);
            String count = String.format("%08x", nc++);
            String resp = digest.response("MD5", new Secret(password, Map.of()), authUser, "REGISTER", "sip:besip", nonce, "auth", count, "cn");
            h.add(new SipMessage.Header("Authorization", "Digest username=\"" + authUser + "\", realm=\"besip\", nonce=\"" + nonce
                    + "\", uri=\"sip:besip\", response=\"" + resp + "\", algorithm=MD5, qop=auth, nc=" + count + ", cnonce=\"cn\""));
        }
        return SipMessage.request("REGISTER", "sip:besip", h, new byte[0]);
    }

    @Test
    void aRegisterWithoutCredentialsIsChallengedForUnknownUsersToo() {
        for (String user : List.of("alice", "nobody")) {
            var r = registrar.register(register(user, null, null, List.of("<sip:x@127.0.0.2>"), null), "127.0.0.2:5060", 2000);
            assertEquals(401, r.response().status());
            assertEquals(2, r.response().all("WWW-Authenticate").size());
        }
    }

    @Test
    void bindingsAreAddedRefreshedListedAndRemoved() {
        var r = registrar.register(register("alice", "alice", "s3cret", List.of("<sip:alice@127.0.0.2:5061>;expires=600",
                "<sip:alice@127.0.0.3>"), "1200"), "127.0.0.2:5061", 2000);
        assertEquals(200, r.response().status());
        assertEquals(2, registrar.bindings("alice", 2000).size());
        assertTrue(r.response().all("Contact").contains("<sip:alice@127.0.0.2:5061>;expires=600"), r.response().all("Contact").toString());
        assertTrue(r.response().all("Contact").contains("<sip:alice@127.0.0.3>;expires=1200"));

        r = registrar.register(register("alice", "alice", "s3cret", List.of("<sip:alice@127.0.0.3>;expires=0"), null), "x", 3000);
        assertEquals(200, r.response().status());
        assertEquals(1, registrar.bindings("alice", 3000).size(), "expires=0 removes that contact");
        assertEquals(0, registrar.bindings("alice", 2000 + 601_000).size(), "the other one expires after its 600 s");

        clock = 700_000;
        registrar.register(register("alice", "alice", "s3cret", List.of("<sip:alice@127.0.0.4>"), null), "x", 700_000);
        r = registrar.register(register("alice", "alice", "s3cret", List.of("*"), "0"), "x", 701_000);
        assertEquals(200, r.response().status());
        assertEquals(0, registrar.bindings("alice", 701_000).size(), "the wildcard removes all");
    }

    @Test
    void tooBriefAnIntervalIs423WithMinExpires() {
        var r = registrar.register(register("alice", "alice", "s3cret", List.of("<sip:alice@127.0.0.2>;expires=10"), null), "x", 2000);
        assertEquals(423, r.response().status());
        assertEquals("60", r.response().first("Min-Expires"));
    }

    @Test
    void anotherUsersCredentialsAreForbiddenAndReported() {
        var r = registrar.register(register("alice", "bob", "pw", List.of("<sip:alice@127.0.0.9>"), null), "127.0.0.9:5060", 2000);
        assertEquals(403, r.response().status());
        assertEquals("user bob registering alice", r.authFailure());
    }

    @Test
    void aWildcardWithOtherContactsOrANonZeroExpiresIsABadRequest() {
        assertEquals(400, registrar.register(register("alice", "alice", "s3cret", List.of("*"), "3600"), "x", 2000).response().status());
        assertEquals(400, registrar.register(register("alice", "alice", "s3cret", List.of("*", "<sip:a@b>"), "0"), "x", 2000)
                .response().status());
    }

    @Test
    void aUserWithItsOwnAlgorithmIsChallengedWithItAndMayAnswerNothingElse() {
        DigestAuthenticator md5 = new DigestAuthenticator("besip", 60_000, List.of("MD5"));
        Map<String, Secret> mixed = Map.of("carol", new Secret("s3cret-pass", Map.of(), List.of("SHA-256")), "dave",
                new Secret("s3cret-pass", Map.of()));
        Registrar r = new Registrar(md5, mixed::get, new LocationService(), "t");
        SipMessage carol = register("carol", null, null, List.of("<sip:carol@127.0.0.2>"), null);
        assertEquals(List.of("SHA-256"), r.register(carol, "127.0.0.2:5060", 2000).response().all("WWW-Authenticate").stream()
                .map(c -> c.replaceAll(".*algorithm=", "")).toList(), "carol's own challenge");
        SipMessage dave = register("dave", null, null, List.of("<sip:dave@127.0.0.2>"), null);
        assertEquals(List.of("MD5"), r.register(dave, "127.0.0.2:5060", 2000).response().all("WWW-Authenticate").stream()
                .map(c -> c.replaceAll(".*algorithm=", "")).toList(), "the box's for everyone else, unknown names too");

        String nonce = md5.nonce(2000);
        String sha = md5.response("SHA-256", mixed.get("carol"), "carol", "REGISTER", "sip:besip", nonce, "auth", "00000001", "cn");
        String viaMd5 = md5.response("MD5", mixed.get("carol"), "carol", "REGISTER", "sip:besip", nonce, "auth", "00000002", "cn");
        String auth = "Digest username=\"carol\", realm=\"besip\", nonce=\"" + nonce + "\", uri=\"sip:besip\", response=\"%s\", "
                + "algorithm=%s, qop=auth, nc=%s, cnonce=\"cn\"";
        carol.headers().add(new SipMessage.Header("Authorization", String.format(auth, viaMd5, "MD5", "00000002")));
        assertEquals(400, r.register(carol, "127.0.0.2:5060", 2000).response().status(), "MD5 is not offered to carol");
        carol.headers().removeIf(h -> h.name().equals("Authorization"));
        carol.headers().add(new SipMessage.Header("Authorization", String.format(auth, sha, "SHA-256", "00000001")));
        assertEquals(200, r.register(carol, "127.0.0.2:5060", 2000).response().status(), "SHA-256 registers carol");
    }
}
