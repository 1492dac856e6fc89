/**
 * What a module keeps across its own stop and start (an upgrade, a disable then enable): its
 * sockets ({@link org.besip.core.api.handover.Listeners}) and its live state
 * ({@link org.besip.core.api.handover.Handover}). Both are held by core, which outlives every
 * module, and both are per bundle: each bundle sees only what it left itself.
 */
@org.osgi.annotation.versioning.Version("1.0.0")
@org.osgi.annotation.bundle.Export
package org.besip.core.api.handover;
