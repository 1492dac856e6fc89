package org.besip.core.internal.auth;

import java.io.IOException;
import java.io.PrintStream;

import org.besip.core.api.auth.AdminAuthenticator;
import org.besip.core.internal.BoxPaths;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;

/** Makes the first-boot credentials and checks logins against them. */
@Component(service = AdminAuthenticator.class, immediate = true)
public class AdminAuthenticatorImpl implements AdminAuthenticator {

    /**
     * The launcher's console (stdout without the log file), so that the first-boot password is
     * shown to the operator once and never written to {@code logs/}.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, target = "(besip.console=true)")
    private PrintStream console;

    private AdminCredentials credentials;

    @Activate
    void activate(BundleContext ctx) throws IOException {
        var data = BoxPaths.from(ctx).data();
        PrintStream out = console != null ? console : System.out;
        credentials = AdminCredentials.loadOrCreate(data, password -> {
            out.println("besip: first boot: Web Console and NETCONF user 'admin', password '" + password + "'");
            out.println("besip: the password is kept in " + data.resolve(AdminCredentials.PASSWORD_FILE)
                    + " (readable by its owner only); it is not shown again");
            out.flush();
        });
    }

    @Override
    public boolean authenticate(String user, char[] password) {
        return credentials.verify(user, password);
    }
}
