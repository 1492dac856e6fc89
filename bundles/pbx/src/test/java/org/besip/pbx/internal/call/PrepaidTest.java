package org.besip.pbx.internal.call;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.besip.pbx.internal.sip.SipMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

class PrepaidTest {

    @TempDir
    Path dir;
    SQLiteDataSource ds;
    Prepaid prepaid;

    @BeforeEach
    void setUp() throws Exception {
        ds = new SQLiteDataSource();
        ds.setUrl("jdbc:sqlite:" + dir.resolve("pbx.db"));
        prepaid = new Prepaid(ds);
        prepaid.policy(new Prepaid.Policy(List.of(new Prepaid.Tariff("00", 2.0), new Prepaid.Tariff("00420", 0.5),
                new Prepaid.Tariff("0900", 30.0)), Set.of("alice"), 20.0, Map.of("bob", 1.0), Map.of("cheap", 0.6)));
    }

    /** Pending credit writes finish before the temporary directory is removed. */
    @AfterEach
    void tearDown() throws Exception {
        prepaid.close();
    }

    @Test
    void theLongestPrefixPricesTheCall() {
        assertEquals(0.5, prepaid.price("00420123"));
        assertEquals(2.0, prepaid.price("0049123"));
        assertNull(prepaid.price("123"));
    }

    @Test
    void prepaidUsersNeedCreditAndATariff() throws Exception {
        assertEquals(402, prepaid.admit("c1", "alice", "00420123", "provider").status(), "no credit yet");
        assertEquals(403, prepaid.admit("c2", "alice", "123", "provider").status(), "no tariff: refused for a prepaid user");
        prepaid.topUp("alice", 1.0);
        Prepaid.Decision d = prepaid.admit("c3", "alice", "00420123", "provider");
        assertFalse(d.refused());
        assertEquals(60_000, d.maxDurationMs(), "1.0 at 0.5 a minute pays two minutes; a call is granted 60 s of it at a time");
        assertEquals(0.5, prepaid.reserved("alice"), 1e-9, "the grant is held: 60 s at 0.5 a minute");
    }

    @Test
    void callsAtOnceShareTheCreditAndNeverSpendMoreThanItHolds() throws Exception {
        prepaid.topUp("alice", 1.0); // two minutes at 0.5
        Prepaid.Decision a = prepaid.admit("a", "alice", "00420123", "provider");
        Prepaid.Decision b = prepaid.admit("b", "alice", "00420456", "provider");
        assertEquals(60_000, a.maxDurationMs());
        assertEquals(60_000, b.maxDurationMs(), "the second call gets the other minute");
        assertEquals(1.0, prepaid.reserved("alice"), 1e-9);
        assertEquals(402, prepaid.admit("c", "alice", "00420789", "provider").status(), "nothing left beyond what the two calls hold");
        assertEquals(0, prepaid.extend("a", a), "call a's minute is over and the credit is all held: it ends");

        assertEquals(0.75, prepaid.settle("a", "alice", 0.25), 1e-9, "call a used 30 s: 0.25 charged, the rest of its hold back");
        assertEquals(0.5, prepaid.reserved("alice"), 1e-9);
        Prepaid.Decision d = prepaid.admit("d", "alice", "00420123", "provider");
        assertEquals(30_000, d.maxDurationMs(), "0.75 credit, 0.5 held by b: 30 s for d");
        assertEquals(0.25, prepaid.settle("b", "alice", 0.5), 1e-9, "b used its whole minute");
        assertEquals(0, prepaid.extend("d", d), "the 0.25 left is what d already holds: no more");
        assertEquals(0.0, prepaid.settle("d", "alice", 0.25), 1e-9, "d used its grant: the account is at 0, never below");
        assertEquals(0.0, prepaid.reserved("alice"), 1e-9);
    }

    @Test
    void aPrepaidUserCallsAnUntariffedDestinationOnlyWhenThePolicyAllowsIt() throws Exception {
        prepaid.topUp("alice", 1.0);
        assertEquals(403, prepaid.admit("u1", "alice", "123", "provider").status());
        prepaid.policy(new Prepaid.Policy(List.of(new Prepaid.Tariff("00", 2.0)), Set.of("alice"), null, Map.of(), Map.of(),
                Prepaid.Policy.DEFAULT_GRANT_MS, true));
        Prepaid.Decision free = prepaid.admit("u2", "alice", "123", "provider");
        assertFalse(free.refused());
        assertEquals(0.0, free.pricePerMinute());
    }

    @Test
    void priceLimitsGlobalPerUserAndPerTrunk() throws Exception {
        assertEquals("Price Limit Exceeded", prepaid.admit("c1", "carol", "0900123", "provider").reason(), "over the global 20");
        assertEquals(403, prepaid.admit("c2", "bob", "0049123", "provider").status(), "bob may spend 1.0 a minute");
        assertEquals(403, prepaid.admit("c3", "carol", "0049123", "cheap").status(), "the cheap trunk carries 0.6 at most");
        Prepaid.Decision postpaid = prepaid.admit("c4", "carol", "123", "provider");
        assertFalse(postpaid.refused(), "a postpaid user without tariff calls for free");
        assertEquals(0, postpaid.maxDurationMs());
    }

    @Test
    void creditSurvivesARestart() throws Exception {
        assertEquals(5.0, prepaid.topUp("alice", 5.0));
        assertEquals(4.5, prepaid.charge("alice", 0.5));
        assertEquals(0.0, prepaid.charge("bob", 0.5), 0.0, "not prepaid: nothing charged");
        prepaid.close();
        assertEquals(Map.of("alice", 4.5), new Prepaid(ds).credits());
    }

    static SipMessage invite(String callId) {
        return SipMessage.request("INVITE", "sip:00420123@box", List.of(new SipMessage.Header("From", "<sip:alice@box>;tag=a1"),
                new SipMessage.Header("To", "<sip:00420123@box>"), new SipMessage.Header("Call-ID", callId),
                new SipMessage.Header("CSeq", "1 INVITE"), new SipMessage.Header("Contact", "<sip:alice@127.0.0.2:5070>")), new byte[0]);
    }

    static SipMessage ok(String callId) {
        return SipMessage.response(200, "OK", List.of(new SipMessage.Header("From", "<sip:alice@box>;tag=a1"),
                new SipMessage.Header("To", "<sip:00420123@box>;tag=p1"), new SipMessage.Header("Call-ID", callId),
                new SipMessage.Header("CSeq", "1 INVITE"), new SipMessage.Header("Contact", "<sip:127.0.0.7:5099>")), new byte[0]);
    }

    @Test
    void whenTheCreditRunsOutTheBoxEndsTheCallAndChargesIt() throws Exception {
        prepaid.topUp("alice", 1.0);
        CdrStore cdrs = new CdrStore(ds);
        CallTracker calls = new CallTracker(cdrs, (t, p) -> { }, prepaid);
        List<String> hungUp = new ArrayList<>();
        List<Double> creditAtHangup = new ArrayList<>();
        calls.hangup((id, from, contact, caller, to, calleeContact) -> {
            hungUp.add(id + " " + contact + " " + caller + " " + calleeContact);
            creditAtHangup.add(prepaid.credits().get("alice")); // what either side could see once it has the BYE
        });
        InetSocketAddress alice = new InetSocketAddress("127.0.0.2", 5070);
        Prepaid.Decision admitted = prepaid.admit("c1", "alice", "00420123", "provider");
        assertFalse(admitted.refused());
        calls.forwarded(invite("c1"), "provider", admitted, alice, 1_000); // the proxy hands the call's admission over with it
        calls.responded(ok("c1"), 2_000);
        calls.tick(2_000 + 119_000);
        assertEquals(List.of(), hungUp, "a second of credit left");
        calls.tick(2_000 + 120_000);
        assertEquals(List.of("c1 <sip:alice@127.0.0.2:5070> " + alice + " <sip:127.0.0.7:5099>"), hungUp);
        assertEquals(0, calls.active());
        assertEquals(List.of(0.0), creditAtHangup, "charged before the box sends its BYEs");
        assertEquals(0.0, prepaid.credits().get("alice"), 1e-9, "two minutes at 0.5 used the whole 1.0");
        cdrs.close();
        StringWriter w = new StringWriter();
        new CdrStore(ds).csv(0, Long.MAX_VALUE, w);
        assertTrue(w.toString().contains(",2000,122000,120,answered,box,provider,1.0,,,,,,,\r\n"), w.toString());
    }
}
