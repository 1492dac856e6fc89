package org.besip.pbx.internal.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

class DialPlanTest {

    final DialPlan.Trunk local = new DialPlan.Trunk("local", new InetSocketAddress("127.0.0.7", 5060));
    final DialPlan.Trunk mobile = new DialPlan.Trunk("mobile", new InetSocketAddress("127.0.0.8", 5060));
    final DialPlan.Trunk intl = new DialPlan.Trunk("intl", new InetSocketAddress("127.0.0.9", 5060));

    @Test
    void theLongestPrefixWinsAndDigitsAreStrippedAndPrepended() {
        DialPlan plan = new DialPlan(List.of(new DialPlan.Route("0", local, 1, "420"), new DialPlan.Route("00", intl, 2, "+")));
        assertEquals(java.util.List.of(intl, "+44123"), parts(plan.match("0044123")));
        assertEquals(java.util.List.of(local, "420123"), parts(plan.match("0123")));
        assertNull(plan.match("123"));
        assertNull(plan.match("alice"), "a name is not a number");
    }

    @Test
    void patternsMatchTheWholeNumberAsteriskStyle() {
        DialPlan plan = new DialPlan(List.of(new DialPlan.Route("_9NXXXXXX", local, 1, ""), new DialPlan.Route("_9[67]XXXXXXXX", mobile, 1, ""),
                new DialPlan.Route("_900.", intl, 3, "00"), new DialPlan.Route("9", local, 1, "")));
        assertEquals(java.util.List.of(local, "2345678"), parts(plan.match("92345678")), "N is 2-9, then six digits");
        assertEquals(java.util.List.of(mobile, "601234567"), parts(plan.match("9601234567")), "a set");
        assertEquals(java.util.List.of(intl, "0044207"), parts(plan.match("90044207")), ". is one or more");
        assertEquals(java.util.List.of(local, "1234567"), parts(plan.match("91234567")), "N excludes 1: falls to the prefix 9");
        assertEquals(java.util.List.of(local, "234567"), parts(plan.match("9234567")), "too short for the pattern: the prefix");
    }

    @Test
    void onlyWellFormedRoutesAreValid() {
        for (String ok : List.of("", "00420", "+", "_9NXXXXXX", "_0[1-5]X.", "_00!")) {
            assertTrue(DialPlan.valid(ok), ok);
        }
        for (String bad : List.of("9a", "_", "_9[5-1]X", "_9[", "_9Q", "_" + "X".repeat(33), "0".repeat(17))) {
            assertFalse(DialPlan.valid(bad), bad);
        }
    }

    /** What a target is made of that these tests set: its trunk and the number sent (the route it took aside). */
    static java.util.List<Object> parts(DialPlan.Target t) {
        return t == null ? null : java.util.List.of(t.trunk(), t.number());
    }
}
