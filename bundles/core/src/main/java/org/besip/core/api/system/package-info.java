/** What the box may do on its host: the Linux capabilities it runs with. */
@org.osgi.annotation.versioning.Version("1.0.0")
@org.osgi.annotation.bundle.Export
package org.besip.core.api.system;
