package org.besip.security.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.besip.security.internal.rules.Rule;
import org.besip.security.internal.rules.RuleParser;
import org.junit.jupiter.api.Test;

class EngineTest {

    static final Map<String, String> VARS = Map.of("EXTERNAL_NET", "any", "SIP_PROXY", "any", "SIP_PORT", "5060");

    static Engine engine(String rules) {
        RuleParser.Result r = new RuleParser(VARS).parse(rules, "t");
        assertEquals(List.of(), r.problems());
        return new Engine(r.rules());
    }

    static Engine.Packet udp(String src, String payload) throws Exception {
        byte[] b = payload.getBytes(StandardCharsets.ISO_8859_1);
        return new Engine.Packet(InetAddress.getByName(src), 40000, InetAddress.getByName("127.0.0.1"), 5060, "udp", b, b.length);
    }

    static boolean fires(String rule, String payload) throws Exception {
        return !engine(rule).evaluate(udp("127.0.0.2", payload), 0).events().isEmpty();
    }

    @Test
    void theBesipRuleBlocksTheFloodingSourceFromThe51stRegisterInFiveSeconds() throws Exception {
        Engine e = engine(
                "alert udp $EXTERNAL_NET any -> $SIP_PROXY $SIP_PORT (msg:\"SIP DoS attempt(registerflood)\"; content:\"REGISTER sip\"; "
                        + "detection_filter:track by_src, count 50, seconds 5; classtype:misc-attack; sid:1000001; rev:1; fwsam:src, 10min;)");
        for (int i = 0; i < 50; i++) {
            assertTrue(e.evaluate(udp("127.0.0.2", "REGISTER sip:box SIP/2.0\r\n"), i * 10).events().isEmpty(), "hit " + (i + 1));
            assertTrue(e.evaluate(udp("127.0.0.3", "REGISTER sip:box SIP/2.0\r\n"), i * 10).events().isEmpty(), "another source counts apart");
        }
        List<Engine.Event> ev = e.evaluate(udp("127.0.0.2", "REGISTER sip:box SIP/2.0\r\n"), 500).events();
        assertEquals(1, ev.size());
        assertEquals(InetAddress.getByName("127.0.0.2"), ev.get(0).blockTarget());
        assertEquals(600, ev.get(0).rule().fwsam().seconds());
        assertTrue(e.evaluate(udp("127.0.0.2", "INVITE sip:bob@box SIP/2.0\r\n"), 600).events().isEmpty(), "no content, no match");
        // 50 more after the window expired: the count starts again
        for (int i = 0; i < 50; i++) {
            assertTrue(e.evaluate(udp("127.0.0.3", "REGISTER sip:box SIP/2.0\r\n"), 6_000 + i).events().isEmpty());
        }
        assertEquals(101, e.stats().get(0).matches() - 50);
    }

    @Test
    void contentModifiersFollowSnortsDocumentation() throws Exception {
        // the Snort manual's modifiers, on SIP text
        assertTrue(fires("alert udp any any -> any any (content:\"invite\"; nocase; sid:1;)", "INVITE sip:x SIP/2.0"));
        assertFalse(fires("alert udp any any -> any any (content:\"invite\"; sid:1;)", "INVITE sip:x SIP/2.0"), "case counts without nocase");
        assertTrue(fires("alert udp any any -> any any (content:\"sip\"; offset:7; depth:3; sid:1;)", "INVITE sip:x"));
        assertFalse(fires("alert udp any any -> any any (content:\"sip\"; offset:8; depth:3; sid:1;)", "INVITE sip:x"), "offset past it");
        assertFalse(fires("alert udp any any -> any any (content:\"sip\"; depth:5; sid:1;)", "INVITE sip:x"), "depth too short");
        // "content:"foo"; content:"bar"; distance:3; within:3;": skip 3 bytes after foo, bar within 3 bytes from there
        String rule = "alert udp any any -> any any (content:\"foo\"; content:\"bar\"; distance:3; within:3; sid:1;)";
        assertTrue(fires(rule, "foo123bar"));
        assertFalse(fires(rule, "foo12bar"), "closer than distance");
        assertFalse(fires(rule, "foo1234bar"), "beyond within");
        // hello1234world alerts with distance:4 within:5; hello123world and hello12345world do not
        String hw = "alert udp any any -> any any (content:\"hello\"; nocase; content:\"world\"; distance:4; within:5; sid:1;)";
        assertTrue(fires(hw, "/hello1234world"));
        assertFalse(fires(hw, "/hello123world"));
        assertFalse(fires(hw, "/hello12345world"));
        // a relative content re-searches the first one: the second "foo" is followed by bar
        assertTrue(fires("alert udp any any -> any any (content:\"foo\"; content:\"bar\"; within:3; sid:1;)", "foo---- foobar"));
        assertTrue(fires("alert udp any any -> any any (content:\"|0d 0a|User-Agent: friendly\"; sid:1;)", "OPTIONS x\r\nUser-Agent: friendly-scanner"));
        assertTrue(fires("alert udp any any -> any any (content:\"REGISTER\"; content:!\"Authorization\"; sid:1;)", "REGISTER x\r\nTo: y"));
        assertFalse(fires("alert udp any any -> any any (content:\"REGISTER\"; content:!\"Authorization\"; sid:1;)", "REGISTER x\r\nAuthorization: y"));
        assertTrue(fires("alert udp any any -> any any (pcre:\"/^User-Agent:\\s*sip(vicious|cli)/mi\"; sid:1;)", "OPTIONS x\r\nuser-agent: sipvicious"));
        assertFalse(fires("alert udp any any -> any any (pcre:!\"/^Via:/m\"; sid:1;)", "OPTIONS x\r\nVia: y"));
    }

    @Test
    void thresholdTypesFilterEventsPerSource() throws Exception {
        Engine limit = engine("alert udp any any -> any any (content:\"x\"; threshold:type limit, track by_src, count 2, seconds 10; sid:1;)");
        Engine every = engine("alert udp any any -> any any (content:\"x\"; threshold:type threshold, track by_src, count 3, seconds 10; sid:1;)");
        Engine both = engine("alert udp any any -> any any (content:\"x\"; threshold:type both, track by_src, count 3, seconds 10; sid:1;)");
        StringBuilder l = new StringBuilder();
        StringBuilder t = new StringBuilder();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 7; i++) {
            l.append(limit.evaluate(udp("127.0.0.2", "x"), i).events().size());
            t.append(every.evaluate(udp("127.0.0.2", "x"), i).events().size());
            b.append(both.evaluate(udp("127.0.0.2", "x"), i).events().size());
        }
        assertEquals("1100000", l.toString(), "limit: the first 2 per window");
        assertEquals("0010010", t.toString(), "threshold: every 3rd");
        assertEquals("0010000", b.toString(), "both: once, at the 3rd");
        assertEquals(1, limit.evaluate(udp("127.0.0.2", "x"), 10_000).events().size(), "a new window");
    }

    @Test
    void passRulesWinAndDropRulesDrop() throws Exception {
        Engine e = engine("alert udp any any -> any any (content:\"OPTIONS\"; sid:1;)\n"
                + "drop udp any any -> any any (content:\"friendly-scanner\"; sid:2;)\n"
                + "pass udp 127.0.0.9 any -> any any (content:\"OPTIONS\"; sid:3;)\n");
        Engine.Result r = e.evaluate(udp("127.0.0.2", "OPTIONS x\r\nUser-Agent: friendly-scanner"), 0);
        assertTrue(r.drop());
        assertEquals(2, r.events().size());
        assertEquals(Engine.Result.NONE, e.evaluate(udp("127.0.0.9", "OPTIONS x\r\nUser-Agent: friendly-scanner"), 0));
    }

    @Test
    void spoofedSourcesCannotGrowTheCounters() throws Exception {
        Engine e = engine("alert udp any any -> any any (content:\"R\"; detection_filter:track by_src, count 5, seconds 60; sid:1;)");
        for (int i = 0; i < 100_000; i++) {
            byte[] a = {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i};
            e.evaluate(new Engine.Packet(InetAddress.getByAddress(a), 1, InetAddress.getByName("127.0.0.1"), 5060, "udp", new byte[] {'R'}, 1), i);
        }
        java.lang.reflect.Field f = Engine.class.getDeclaredField("rules");
        f.setAccessible(true);
        Object compiled = ((List<?>) f.get(e)).get(0);
        java.lang.reflect.Field m = compiled.getClass().getDeclaredField("filter");
        m.setAccessible(true);
        assertEquals(Engine.MAX_TRACKED, ((Windows) m.get(compiled)).size());
    }

    @Test
    void packetsOfAnyShapeAreJudgedByTheRuleNeverBreakingTheEngine() throws Exception {
        Engine e = engine("alert udp any any -> any any (content:\"REGISTER\"; nocase; content:\"sip\"; distance:-20; within:100; "
                + "pcre:\"/a+b/\"; sid:1;)");
        java.util.Random rnd = new java.util.Random(7);
        byte[] needle = "xx register sip:aab".getBytes(StandardCharsets.US_ASCII);
        int hits = 0;
        for (int i = 0; i < 5000; i++) {
            byte[] b = new byte[rnd.nextInt(i % 100 == 0 ? 65_535 : 200) + (i % 50 == 0 ? needle.length : 0)];
            rnd.nextBytes(b);
            boolean planted = i % 50 == 0; // every 50th packet carries what the rule looks for, somewhere
            if (planted) {
                System.arraycopy(needle, 0, b, rnd.nextInt(b.length - needle.length + 1), needle.length);
            }
            Engine.Result r = e.evaluate(new Engine.Packet(InetAddress.getByName("127.0.0.2"), 1, InetAddress.getByName("127.0.0.1"), 5060,
                    "udp", b, b.length), i);
            boolean matches = new String(b, StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT).contains("register");
            if (planted) {
                assertEquals(1, r.events().size(), "packet " + i + " carries REGISTER … sip … aab");
                hits++;
            } else if (!matches) {
                assertEquals(List.of(), r.events(), "packet " + i + " has no REGISTER");
            }
            assertFalse(r.drop(), "an alert rule never drops");
        }
        assertEquals(100, hits);
        Engine.Result empty = e.evaluate(new Engine.Packet(InetAddress.getByName("127.0.0.2"), 1, null, 5060, "udp", new byte[0], 0), 0);
        assertEquals(List.of(), empty.events(), "an empty datagram to an unknown address matches nothing");
        assertFalse(empty.drop());
    }

    @Test
    void authenticatedPacketsFromARegisteredAddressAreCountedApartFromStrangersThere() throws Exception {
        Engine e = engine("alert udp any any -> any 5060 (msg:\"REGISTER flood\"; content:\"REGISTER sip\"; detection_filter:track by_src, "
                + "count 50, seconds 5; sid:1; fwsam:src, 10min;)");
        InetAddress office = InetAddress.getByName("198.51.100.20");
        byte[] refresh = "REGISTER sip:box SIP/2.0\r\nAuthorization: Digest username=\"p\"\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] plain = "REGISTER sip:box SIP/2.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 45; i++) { // 45 phones behind one office address: a challenge round each, in one second
            assertEquals(List.of(), e.evaluate(new Engine.Packet(office, 5060, null, 5060, "udp", plain, plain.length), i).events());
            assertEquals(List.of(), e.evaluate(new Engine.Packet(office, 5060, null, 5060, "udp", refresh, refresh.length, -1, true), i)
                    .events(), "the authenticated half counts on its own");
        }
        for (int i = 45; i < 50; i++) {
            e.evaluate(new Engine.Packet(office, 5060, null, 5060, "udp", plain, plain.length), i);
        }
        assertEquals(1, e.evaluate(new Engine.Packet(office, 5060, null, 5060, "udp", plain, plain.length), 51).events().size(),
                "the 51st unauthenticated REGISTER from the address still fires the rule");
    }

    @Test
    void theNextEngineCarriesOnWhereTheLastOneCountedForTheSameRules() throws Exception {
        String rule = "alert udp any any -> any any (msg:\"reg\"; content:\"REGISTER\"; detection_filter:track by_src, count 5, seconds 60;"
                + " sid:7; rev:1;)";
        Engine before = engine(rule);
        for (int i = 0; i < 5; i++) { // detection_filter count 5: the sixth in the window fires
            assertTrue(before.evaluate(udp("127.0.0.2", "REGISTER sip:box SIP/2.0\r\n"), i).events().isEmpty());
        }
        Engine next = engine(rule); // a commit, or the module's next version
        next.counters(before.counters());
        assertFalse(next.evaluate(udp("127.0.0.2", "REGISTER sip:box SIP/2.0\r\n"), 10).events().isEmpty(),
                "the sixth REGISTER fires: the five before the swap still count");
        Engine fresh = engine(rule);
        assertTrue(fresh.evaluate(udp("127.0.0.2", "REGISTER sip:box SIP/2.0\r\n"), 10).events().isEmpty(), "without them it would not");
        Engine other = engine(rule.replace("sid:7", "sid:8"));
        other.counters(before.counters());
        assertTrue(other.evaluate(udp("127.0.0.2", "REGISTER sip:box SIP/2.0\r\n"), 10).events().isEmpty(), "another rule starts apart");
    }
}
