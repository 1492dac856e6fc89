package org.besip.monitoring.internal.component;

import org.besip.core.api.metrics.MetricSource;

import java.sql.SQLException;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.besip.core.api.module.ModuleManager;
import org.besip.monitoring.internal.zabbix.ZabbixAgent.Answer;

/** The keys besip's Zabbix agent answers. */
final class ZabbixKeys implements Function<String, Answer> {

    private static final Pattern PARAM = Pattern.compile("([a-z.]+)\\[([^\\]]*)\\]");

    private final MonitoringComponent monitoring;
    private final ModuleManager modules;
    private final long started;

    ZabbixKeys(MonitoringComponent monitoring, ModuleManager modules, long started) {
        this.monitoring = monitoring;
        this.modules = modules;
        this.started = started;
    }

    @Override
    public Answer apply(String key) {
        Matcher m = PARAM.matcher(key);
        String name = m.matches() ? m.group(1) : key;
        String param = m.matches() ? m.group(2).trim().replaceAll("^\"|\"$", "") : null;
        switch (name) {
            case "agent.ping":
                return Answer.of(1);
            case "agent.version":
                return Answer.of("6.0.0 (besip)");
            case "system.uptime": {
                String up = MonitoringComponent.uptime();
                return up != null ? Answer.of(up) : Answer.of((System.currentTimeMillis() - started) / 1000);
            }
            case "besip.module.state": {
                if (param == null || param.isEmpty()) {
                    return Answer.notSupported("besip.module.state needs a module name, e.g. besip.module.state[pbx]");
                }
                if (modules == null) {
                    return Answer.notSupported("the module manager is not available");
                }
                return modules.get(param).map(i -> Answer.of(i.state().name()))
                        .orElse(Answer.notSupported("no module named '" + param + "'"));
            }
            case "besip.monitoring.mos.avg": {
                int minutes;
                try {
                    minutes = param == null || param.isEmpty() ? 5 : Integer.parseInt(param);
                } catch (NumberFormatException e) {
                    return Answer.notSupported("the parameter must be a number of minutes");
                }
                if (minutes < 1 || minutes > 525_600) {
                    return Answer.notSupported("minutes must be 1..525600");
                }
                try {
                    Double mos = monitoring.store().meanMos(System.currentTimeMillis() - minutes * 60_000L);
                    return mos == null ? Answer.of("0") : Answer.of(String.format(java.util.Locale.ROOT, "%.2f", mos));
                } catch (SQLException e) {
                    return Answer.notSupported("history unavailable: " + e.getMessage());
                }
            }
            case "besip.monitoring.capture.dropped":
                return Answer.of(monitoring.droppedPackets());
            default: {
                MetricSource source = monitoring.metricSource(name);
                if (source != null) {
                    try {
                        Number v = source.value(name);
                        return v == null ? Answer.notSupported("no value for " + name + " now") : Answer.of(v);
                    } catch (RuntimeException e) {
                        return Answer.notSupported(name + " failed: " + e.getMessage());
                    }
                }
                if (name.startsWith("besip.pbx.") || name.startsWith("besip.security.")) {
                    return Answer.notSupported("the " + name.split("\\.")[1] + " module is not running");
                }
                return Answer.notSupported("unknown key '" + key + "'");
            }
        }
    }
}
