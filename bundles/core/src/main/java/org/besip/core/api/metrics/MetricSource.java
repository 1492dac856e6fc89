package org.besip.core.api.metrics;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Current figures of a module, such as {@code besip.pbx.registrations}. Register as a service with
 * {@link #KEYS} listing the keys; the monitoring module's Zabbix agent asks the source whose keys
 * hold the one a server asks for, and answers "not supported" while no such source is there.
 */
@ConsumerType
public interface MetricSource {

    /** Service property: the keys this source answers ({@code String} or {@code String[]}). */
    String KEYS = "besip.metric.keys";

    /** The current value of {@code key} (one of {@link #KEYS}); never blocks for long. */
    Number value(String key);
}
