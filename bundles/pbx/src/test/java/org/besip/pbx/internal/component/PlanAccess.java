package org.besip.pbx.internal.component;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

import org.besip.pbx.internal.proxy.DialPlan;

/** The component's dial-plan building, for the proxy's tests in another package. */
public final class PlanAccess {

    private PlanAccess() {
    }

    /** One route {@code prefix} (strip 1, prepend 00420) to {@code trunk}, then {@code fallbacks}, with the addresses resolved. */
    public static DialPlan plan(String prefix, String trunk, List<String> fallbacks, Map<String, List<InetSocketAddress>> resolved) {
        return PbxSettings.plan(List.of(new PbxSettings.RouteSpec(prefix, trunk, 1, "00420", fallbacks)), resolved);
    }
}
