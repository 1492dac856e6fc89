@org.osgi.annotation.versioning.Version("1.3.0")
@org.osgi.annotation.bundle.Export
package org.besip.core.api.storage;
