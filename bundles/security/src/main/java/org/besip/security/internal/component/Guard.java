package org.besip.security.internal.component;

import org.besip.security.internal.engine.Inspection;

/**
 * The security module's judgement as configured, for the module's own components (the traffic
 * inspector, the soft-fault listener): provided by {@link SecurityComponent}, which owns the
 * rules, the blocks and their enforcement. Internal to the bundle.
 */
public interface Guard {
    Inspection inspection();
}
