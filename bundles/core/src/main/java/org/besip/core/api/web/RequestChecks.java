package org.besip.core.api.web;

import java.net.URI;

/** Checks every besip Web Console page applies to state-changing requests. */
public final class RequestChecks {

    private RequestChecks() {
    }

    /**
     * CSRF defence: a browser always sends {@code Origin} on a POST; it must name the host the
     * request came to. No Origin (a script, curl) passes: such clients are not tricked by pages.
     */
    public static boolean sameOrigin(String origin, String host) {
        if (origin == null) {
            return true;
        }
        try {
            URI o = URI.create(origin);
            String originHost = o.getPort() < 0 ? o.getHost() : o.getHost() + ":" + o.getPort();
            return host != null && host.equalsIgnoreCase(originHost);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
