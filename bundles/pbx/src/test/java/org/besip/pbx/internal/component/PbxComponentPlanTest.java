package org.besip.pbx.internal.component;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

import org.besip.pbx.internal.proxy.DialPlan;
import org.junit.jupiter.api.Test;

/** The dial plan, the policy's trunk peers and the registrations as the trunks' addresses are resolved. */
class PbxComponentPlanTest {

    static final InetSocketAddress A1 = new InetSocketAddress("192.0.2.1", 5060);
    static final InetSocketAddress A2 = new InetSocketAddress("192.0.2.2", 5070);
    static final InetSocketAddress B1 = new InetSocketAddress("198.51.100.1", 5060);

    @Test
    void aRouteGoesToItsTrunksAddressesInOrderThenToTheFallbacks() {
        DialPlan.Target t = PlanAccess.plan("9", "a", List.of("b"), Map.of("a", List.of(A1, A2), "b", List.of(B1))).match("9123");
        assertEquals(new DialPlan.Trunk("a", A1), t.trunk());
        assertEquals(List.of(new DialPlan.Trunk("a", A2), new DialPlan.Trunk("b", B1)), t.fallbacks());
        assertEquals("00420123", t.number());
    }

    @Test
    void anUnresolvedTrunkIsSkippedAndARouteWithNoneResolvedHasNoAddress() {
        DialPlan.Target t = PlanAccess.plan("9", "a", List.of("b"), Map.of("a", List.of(), "b", List.of(B1))).match("9123");
        assertEquals(new DialPlan.Trunk("b", B1), t.trunk(), "the fallback while the trunk's name is unresolved");
        DialPlan.Target none = PlanAccess.plan("9", "a", List.of(), Map.of("a", List.of())).match("9123");
        assertEquals("a", none.trunk().name());
        assertNull(none.trunk().address());
    }

    @Test
    void peersAndRegistrationsFollowTheAddresses() {
        assertEquals(Map.of(A1, "a", A2, "a", B1, "b"), PbxSettings.peers(Map.of("a", List.of(A1, A2), "b", List.of(B1))));
        List<PbxSettings.AccountSpec> specs = List.of(new PbxSettings.AccountSpec("a", "acct", "pw", "provider.test", 600),
                new PbxSettings.AccountSpec("b", "acct2", "pw2", "other.test", 600));
        var accounts = PbxSettings.accounts(specs, Map.of("a", List.of(A2, A1), "b", List.of()));
        assertEquals(1, accounts.size(), "an unresolved trunk registers once it is resolved");
        assertEquals(A2, accounts.get(0).provider(), "at the first address");
        assertEquals("provider.test", accounts.get(0).domain());
    }

    @org.junit.jupiter.api.Test
    void aFinishedRecordingIsAnEventWithTheCallItsFileAndItsLength() {
        java.util.Map<String, Object> e = PbxComponent.recorded("c1@x", "2026-12-02/011623-15f80a9fa197a43c.wav", 7.1);
        org.junit.jupiter.api.Assertions.assertEquals(java.util.Map.of("call.id", "c1@x", "recording",
                "recordings/2026-12-02/011623-15f80a9fa197a43c.wav", "duration", 7.1), e);
        org.junit.jupiter.api.Assertions.assertEquals("besip/pbx/call/RECORDED", org.besip.core.api.event.Topics.CALL_RECORDED);
    }
}
