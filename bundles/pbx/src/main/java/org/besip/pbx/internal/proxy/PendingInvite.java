package org.besip.pbx.internal.proxy;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * An INVITE the proxy forwarded that has no final answer yet, as the module's next version takes
 * it over (docs/handover.md): its server transaction (key, the request as forwarded and as it
 * came, where the caller is, the last provisional answer sent up) and each branch still open
 * (its key, the request sent, the next hop, its status so far). The next version answers the
 * caller's retransmissions and CANCEL, relays the branches' answers up, and runs the branches'
 * timers again from the takeover (Timer A/B for a branch that never answered, Timer C for one
 * that rang). What cannot be handed is the per-branch behaviour given as code: a provider's
 * challenge answered with credentials, the failover to the next trunk.
 */
public record PendingInvite(String key, byte[] request, byte[] first, InetSocketAddress upstream, boolean reliable, byte[] last,
        int lastStatus, List<Branch> branches) {

    /** One branch still open: its client-transaction key (branch|INVITE), the request sent, the next hop, its status (0: silent). */
    public record Branch(String key, byte[] request, InetSocketAddress next, boolean reliable, int status, boolean cancelPending) {
    }
}
