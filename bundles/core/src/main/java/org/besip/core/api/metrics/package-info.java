/** Figures a module offers to monitoring (the Zabbix agent), by key. */
@org.osgi.annotation.versioning.Version("1.0.0")
@org.osgi.annotation.bundle.Export
package org.besip.core.api.metrics;
