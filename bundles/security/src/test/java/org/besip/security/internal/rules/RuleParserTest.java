package org.besip.security.internal.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class RuleParserTest {

    static final Map<String, String> VARS = Map.of("EXTERNAL_NET", "any", "HOME_NET", "[10.0.0.0/8,192.168.0.0/16]", "SIP_PROXY", "any",
            "SIP_PORT", "[5060,5061]");

    static final String BESIP = "alert udp $EXTERNAL_NET any -> $SIP_PROXY $SIP_PORT (msg:\"SIP DoS attempt(registerflood)\"; "
            + "content:\"REGISTER sip\"; detection_filter:track by_src, count 50, seconds 5; classtype:misc-attack; sid:1000001; rev:1; "
            + "fwsam:src, 10min;)";

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void theBesipRuleReadsAsWritten() throws Exception {
        RuleParser.Result r = new RuleParser(VARS).parse(BESIP, "besip.rules");
        assertEquals(List.of(), r.problems());
        Rule rule = r.rules().get(0);
        assertEquals(Rule.Action.ALERT, rule.action());
        assertEquals("udp", rule.proto());
        assertTrue(rule.src().isAny());
        assertTrue(rule.dstPorts().matches(5060) && rule.dstPorts().matches(5061) && !rule.dstPorts().matches(5062));
        assertEquals("SIP DoS attempt(registerflood)", rule.msg());
        assertEquals("REGISTER sip", new String(rule.contents().get(0).bytes()));
        assertEquals(new Rule.Filter(true, 50, 5), rule.detectionFilter());
        assertEquals("misc-attack", rule.classtype());
        assertEquals(1000001, rule.sid());
        assertEquals(1, rule.rev());
        assertEquals(new Rule.Fwsam(true, 600), rule.fwsam());
        assertEquals("besip.rules:1", rule.origin());
    }

    @Test
    void addressesPortsListsNegationAndVariables() throws Exception {
        String text = "ipvar SCANNERS [203.0.113.0/24,!203.0.113.7]\n"
                + "portvar HIGH 1024:\n"
                + "alert tcp $SCANNERS $HIGH <> !$HOME_NET [5060:5070,!5065] (msg:\"x\"; content:\"a\"; sid:1;)\n";
        Rule r = new RuleParser(VARS).parse(text, "f").rules().get(0);
        assertTrue(r.src().matches(ip("203.0.113.9")));
        assertFalse(r.src().matches(ip("203.0.113.7")), "negated inside the list");
        assertFalse(r.src().matches(ip("198.51.100.1")));
        assertTrue(r.srcPorts().matches(40000) && !r.srcPorts().matches(80));
        assertTrue(r.dst().matches(ip("172.16.0.1")) && !r.dst().matches(ip("10.1.2.3")));
        assertTrue(r.dstPorts().matches(5064) && !r.dstPorts().matches(5065) && !r.dstPorts().matches(5071));
        assertTrue(r.bidirectional());
        Rule v6 = new RuleParser(VARS).parse("alert ip 2001:db8::/32 any -> any any (content:\"a\"; sid:2;)", "f").rules().get(0);
        assertTrue(v6.src().matches(ip("2001:db8::1")) && !v6.src().matches(ip("2001:db9::1")) && !v6.src().matches(ip("127.0.0.1")));
    }

    @Test
    void contentModifiersHexAndEscapes() {
        Rule r = new RuleParser(VARS).parse("alert udp any any -> any any (msg:\"a \\\"quoted\\\" \\; msg\"; content:\"INVITE\"; nocase; offset:0; "
                + "depth:6; content:\"|0D 0A|User-Agent|3a|\"; distance:0; content:!\"friendly\"; within:40; "
                + "pcre:\"/sip:[0-9]{3,}@/i\"; threshold: type limit, track by_src, count 1, seconds 60; sid:3; rev:2;)", "f").rules().get(0);
        assertEquals("a \"quoted\" ; msg", r.msg());
        Rule.Content c0 = r.contents().get(0);
        assertTrue(c0.nocase() && c0.offset() == 0 && c0.depth() == 6 && !c0.relative());
        assertEquals("\r\nUser-Agent:", new String(r.contents().get(1).bytes()));
        assertEquals(0, r.contents().get(1).distance());
        assertTrue(r.contents().get(2).negated() && r.contents().get(2).within() == 40);
        assertTrue(r.pcre().pattern().matcher("sip:1234@box").find());
        assertEquals(new Rule.Threshold(Rule.Threshold.Type.LIMIT, true, 1, 60), r.threshold());
        assertEquals(new Rule.Fwsam(false, 3600), new RuleParser(VARS).parse(
                "alert udp any any -> any any (content:\"a\"; sid:4; fwsam: dst, 1 hour;)", "f").rules().get(0).fwsam());
        assertEquals(new Rule.Fwsam(true, 0), new RuleParser(VARS).parse(
                "alert udp any any -> any any (content:\"a\"; sid:4; fwsam: src[either], permanent;)".replace("[either]", ", either"), "f")
                .rules().get(0).fwsam());
    }

    @Test
    void aBadRuleIsReportedWithFileLineAndColumnAndTheOthersStillLoad() {
        String text = "# SIP rules\n"
                + "alert udp any any -> any 5060 (msg:\"ok 1\"; content:\"a\"; sid:10;)\n"
                + "alert udp any any -> any 5060 (msg:\"bad\"; content:\"a\"; frobnicate; sid:11;)\n"
                + "alert udp any any \\\n  -> any 5060 (msg:\"ok 2, continued\"; content:\"b\"; sid:12;)\n"
                + "alert udp 10.0.0.300 any -> any 5060 (content:\"a\"; sid:13;)\n"
                + "alert udp any any -> any 5060 (content:\"a\"; detection_filter:track by_src, count 99999999, seconds 5; sid:14;)\n"
                + "alert udp any any -> any 5060 (content:\"a\"; sid:15; fwsam:src, 50years;)\n"
                + "alert udp $NOWHERE any -> any 5060 (content:\"a\"; sid:16;)\n"
                + "alert udp any any -> any 70000 (content:\"a\"; sid:17;)\n"
                + "alert udp any any -> any 5060 (content:\"|0D 0|\"; sid:18;)\n"
                + "alert udp any any -> any 5060 (content:\"a\"; pcre:\"/(/\"; sid:19;)\n"
                + "alert udp any any -> any 5060 (content:\"a\")\n"
                + "log udp any any -> any 5060 (content:\"a\"; sid:20;)\n";
        RuleParser.Result r = new RuleParser(VARS).parse(text, "sip.rules");
        assertEquals(List.of(10L, 12L), r.rules().stream().map(Rule::sid).toList());
        List<String> p = r.problems().stream().map(Object::toString).toList();
        assertEquals(10, p.size(), p.toString());
        assertTrue(p.get(0).startsWith("sip.rules:3:56: unknown or unsupported option frobnicate"), p.get(0));
        assertTrue(p.get(1).startsWith("sip.rules:6:11: not an IP address: 10.0.0.300"), p.get(1));
        assertTrue(p.get(2).startsWith("sip.rules:7:") && p.get(2).contains("count must be between 1 and 1000000"), p.get(2));
        assertTrue(p.get(3).contains("fwsam duration must be 1 s to a year"), p.get(3));
        assertTrue(p.get(4).startsWith("sip.rules:9:11: undefined variable $NOWHERE"), p.get(4));
        assertTrue(p.get(5).contains("not a port: 70000"), p.get(5));
        assertTrue(p.get(6).contains("odd number of hex digits"), p.get(6));
        assertTrue(p.get(7).contains("bad pcre"), p.get(7));
        assertTrue(p.get(8).contains("needs a sid"), p.get(8));
        assertTrue(p.get(9).startsWith("sip.rules:14:1: unknown action log"), p.get(9));
    }

    @Test
    void garbageIsAnsweredWithAProblemAtItsLineNeverAnException() {
        java.util.Random rnd = new java.util.Random(42);
        String alphabet = "alert udp tcp any ->$!<>[],:;()\"|\\/0123456789 content:msg:sid:fwsam:src detection_filter:track by_src count seconds";
        for (int i = 0; i < 2000; i++) {
            StringBuilder sb = new StringBuilder();
            int n = rnd.nextInt(120);
            for (int j = 0; j < n; j++) {
                sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            }
            String text = sb.toString();
            RuleParser.Result fuzz = new RuleParser(VARS).parse(text, "fuzz");
            if (text.isBlank()) {
                assertEquals(List.of(), fuzz.rules(), text);
                assertEquals(List.of(), fuzz.problems(), "a blank line is no rule and no problem");
            } else {
                assertEquals(1, fuzz.rules().size() + fuzz.problems().size(), "one line, one rule or one problem: " + text);
                fuzz.problems().forEach(p -> assertTrue(p.toString().startsWith("fuzz:1:") && !p.message().isBlank(), p.toString()));
            }
            int cut = rnd.nextInt(BESIP.length());
            RuleParser.Result r = new RuleParser(VARS).parse(BESIP.substring(0, cut), "cut");
            assertEquals(List.of(), r.rules(), "a rule cut at " + cut + " is no rule");
            if (!BESIP.substring(0, cut).isBlank()) {
                assertEquals(1, r.problems().size(), "a rule cut at " + cut + " is one problem: " + r.problems());
                assertTrue(r.problems().get(0).toString().startsWith("cut:1:"), r.problems().toString());
            }
        }
    }
}
