package org.besip.core.api.system;

import java.io.IOException;

/**
 * A feature cannot run for want of a capability ({@link Capability#require}); its message is the
 * sentence the capability's warning already logged once, for the feature's page.
 */
public final class MissingCapabilityException extends IOException {

    private static final long serialVersionUID = 1L;

    public MissingCapabilityException(String why) {
        super(why);
    }
}
