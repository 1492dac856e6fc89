package org.besip.pbx.internal.component;

import org.besip.core.api.metrics.MetricSource;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The PBX's Zabbix keys: registrations in force and calls in progress. */
@Component(service = MetricSource.class, property = { MetricSource.KEYS + "=besip.pbx.registrations",
        MetricSource.KEYS + "=besip.pbx.calls.active" })
public class PbxMetrics implements MetricSource {

    @Reference
    private PbxView pbx;

    @Override
    public Number value(String key) {
        return switch (key) {
            case "besip.pbx.registrations" -> pbx.registrations(System.currentTimeMillis()).size();
            case "besip.pbx.calls.active" -> pbx.callsInProgress().size();
            default -> null;
        };
    }
}
