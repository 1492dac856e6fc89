@org.osgi.annotation.versioning.Version("1.4.0")
@org.osgi.annotation.bundle.Export
package org.besip.core.api.event;
