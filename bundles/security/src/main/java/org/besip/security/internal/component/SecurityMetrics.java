package org.besip.security.internal.component;

import org.besip.core.api.metrics.MetricSource;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The security module's Zabbix keys: blocks in force, alerts and messages dropped since start. */
@Component(service = MetricSource.class, property = { MetricSource.KEYS + "=besip.security.blocks.active",
        MetricSource.KEYS + "=besip.security.alerts", MetricSource.KEYS + "=besip.security.dropped" })
public class SecurityMetrics implements MetricSource {

    @Reference
    private SecurityView security;

    @Override
    public Number value(String key) {
        return switch (key) {
            case "besip.security.blocks.active" -> security.activeBlocks(System.currentTimeMillis()).size();
            case "besip.security.alerts" -> security.alerts();
            case "besip.security.dropped" -> security.dropped();
            default -> null;
        };
    }
}
