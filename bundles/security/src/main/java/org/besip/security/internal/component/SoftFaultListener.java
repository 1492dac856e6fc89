package org.besip.security.internal.component;

import java.net.InetAddress;

import org.besip.core.api.event.Topics;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

/**
 * BESIP's soft faults: each {@code besip/pbx/auth/FAILED}, {@code besip/netconf/auth/FAILED} and
 * {@code besip/web/auth/FAILED} with its source, counted by the security module, which blocks a source that reaches the limit.
 */
@Component(service = EventHandler.class, property = { EventConstants.EVENT_TOPIC + "=" + Topics.PBX_AUTH_FAILED,
        EventConstants.EVENT_TOPIC + "=" + Topics.NETCONF_AUTH_FAILED, EventConstants.EVENT_TOPIC + "=" + Topics.WEB_AUTH_FAILED })
public class SoftFaultListener implements EventHandler {

    /** Where a failure is counted: the module's inspection. */
    @Reference
    private Guard guard;

    @Override
    public void handleEvent(Event event) {
        Object source = event.getProperty(Topics.PROP_SOURCE);
        InetAddress a = SecurityComponent.literal(source == null ? null : source.toString());
        if (a != null) {
            String what = switch (event.getTopic()) {
                case Topics.PBX_AUTH_FAILED -> "SIP";
                case Topics.NETCONF_AUTH_FAILED -> "NETCONF";
                default -> "Web Console";
            };
            guard.inspection().failed(a, what, System.currentTimeMillis());
        }
    }
}
