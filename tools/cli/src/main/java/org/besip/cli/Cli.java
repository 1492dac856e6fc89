package org.besip.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.besip.netconf.internal.yang.Schema;
import org.besip.netconf.internal.yang.SchemaCompiler;
import org.besip.netconf.internal.yang.YangException;
import org.besip.netconf.internal.yang.YangParser;
import org.w3c.dom.Element;

/**
 * {@code bin/besip-cli}: the box's configuration over NETCONF, in the words network operators
 * know from Junos and VyOS: {@code set}, {@code delete}, {@code show}, {@code compare},
 * {@code commit}, {@code rollback}. Edits go to the candidate; {@code commit} makes them
 * running. The paths come from the box's own YANG modules, fetched at connect (get-schema), so a
 * module installed later is there the next time without a change here.
 *
 * <pre>
 * besip-cli [--host H] [--port P] [--user U] [--password-file F | --key F] [-f FILE | -c "CMD; CMD"] [CMD ...]
 * </pre>
 *
 * Interactive with a terminal (JLine: history, tab completion of commands, paths, keys and
 * values); otherwise the commands come from {@code -c}, {@code -f}, the arguments or stdin, one
 * per line, and the first that fails ends the run. Exit status: 0 all done, 1 the box refused a
 * command or cannot be reached, 2 a command or option the CLI does not understand. Errors are
 * one line on stderr.
 */
public final class Cli {

    static final String SYS = "urn:besip:params:xml:ns:yang:besip-system";
    static final String NCM = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring";

    /** A command the CLI does not understand (exit status 2). */
    static final class Usage extends Exception {
        private static final long serialVersionUID = 1L;

        Usage(String message) {
            super(message);
        }
    }

    private final NetconfClient box;
    private final Schema schema;
    private final PrintStream out;

    Cli(NetconfClient box, Schema schema, PrintStream out) {
        this.box = box;
        this.schema = schema;
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (Usage e) {
            err.println("besip-cli: " + e.getMessage());
            return 2;
        }
        String password;
        try {
            password = o.key != null ? null : o.password();
        } catch (IOException e) {
            err.println("besip-cli: " + e.getMessage());
            return 1;
        }
        try (NetconfClient box = new NetconfClient(o.host, o.port, o.user, password, o.key, o.knownHosts())) {
            Cli cli = new Cli(box, schema(box), out);
            List<String> commands = o.commands();
            if (commands == null && System.console() != null) {
                return new Interactive(cli).loop();
            }
            if (commands == null) {
                commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).lines().toList();
            }
            try {
                for (String line : commands) {
                    int status = cli.execute(line, err);
                    if (status != 0) {
                        return status;
                    }
                }
            } catch (Quit q) {
                // exit: the commands after it are not run
            }
            return 0;
        } catch (IOException | RuntimeException e) {
            err.println("besip-cli: cannot talk to the box at " + o.host + ":" + o.port + ": " + e.getMessage());
            return 1;
        }
    }

    /** Runs one command line; prints its output, or its error on one line to {@code err}; returns its exit status. */
    int execute(String line, PrintStream err) {
        try {
            command(Text.words(line.strip()));
            return 0;
        } catch (Usage | ConfigPath.BadPath | IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (NetconfClient.RpcFailure e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    /** Quit asked for (exit, quit): no more commands. */
    static final class Quit extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    void command(List<String> w) throws Usage, ConfigPath.BadPath, NetconfClient.RpcFailure, IOException {
        if (w.isEmpty() || w.get(0).startsWith("#")) {
            return;
        }
        List<String> rest = w.subList(1, w.size());
        switch (w.get(0)) {
            case "show" -> show(rest);
            case "set" -> {
                ConfigPath.Resolved p = ConfigPath.resolve(schema, rest, true);
                edit(ConfigPath.setXml(p));
            }
            case "delete" -> {
                ConfigPath.Resolved p = ConfigPath.resolve(schema, rest, false);
                edit(ConfigPath.deleteXml(p));
            }
            case "compare" -> {
                String d = Text.diff(text("running", null), text("candidate", null));
                out.print(d.isEmpty() ? "no changes to commit\n" : d);
            }
            case "commit" -> commit(rest);
            case "confirm" -> {
                box.rpc("<commit/>");
                out.println("confirmed");
            }
            case "discard" -> {
                box.rpc("<discard-changes/>");
                out.println("the candidate is running's configuration again");
            }
            case "rollback" -> rollback(rest);
            case "module" -> module(rest);
            case "help", "?" -> out.print(HELP);
            case "exit", "quit" -> throw new Quit();
            default -> throw new Usage("unknown command '" + w.get(0) + "': one of " + String.join(", ", Completion.COMMANDS));
        }
    }

    static final String HELP = """
            show [running|candidate] [PATH] [xml]  the configuration (the candidate unless running is named)
            set PATH VALUE                         a leaf's value, a list entry (PATH names it by its keys), a leaf-list value
            delete PATH [VALUE]                    a node, a list entry, a leaf-list value
            compare                                what commit would change in running
            commit [confirmed [SECONDS]]           the candidate becomes running (confirmed: rolled back unless confirmed)
            confirm                                confirms a confirmed commit
            discard                                drops the candidate's changes
            rollback [ID]                          lists the commits kept; with an ID, running goes back to it
            module list|install NAME URL SHA256|upgrade NAME URL SHA256|enable NAME|disable NAME|remove NAME
            exit
            """;

    private void show(List<String> rest) throws ConfigPath.BadPath, NetconfClient.RpcFailure, IOException {
        List<String> r = new ArrayList<>(rest);
        String source = "candidate";
        if (!r.isEmpty() && (r.get(0).equals("running") || r.get(0).equals("candidate"))) {
            source = r.remove(0);
        }
        boolean xml = !r.isEmpty() && r.get(r.size() - 1).equals("xml");
        if (xml) {
            r.remove(r.size() - 1);
        }
        ConfigPath.Resolved p = r.isEmpty() ? null : ConfigPath.resolve(schema, r, false);
        Element data = data(source, p);
        out.print(xml ? new String(org.besip.netconf.internal.datastore.Datastores.serialize(data), StandardCharsets.UTF_8) + "\n"
                : Text.render(schema, data));
    }

    private String text(String source, ConfigPath.Resolved p) throws NetconfClient.RpcFailure, IOException {
        return Text.render(schema, data(source, p));
    }

    /** The {@code <data>} of get-config of {@code source}, filtered to {@code p} when given. */
    Element data(String source, ConfigPath.Resolved p) throws NetconfClient.RpcFailure, IOException {
        Element reply = box.rpc("<get-config><source><" + source + "/></source>" + (p == null ? "" : ConfigPath.filterXml(p)) + "</get-config>");
        for (Element e : Text.children(reply)) {
            if (e.getLocalName().equals("data")) {
                return e;
            }
        }
        throw new IOException("the box's reply has no data");
    }

    private void edit(String config) throws NetconfClient.RpcFailure, IOException {
        box.rpc("<edit-config><target><candidate/></target>" + config + "</edit-config>");
    }

    private void commit(List<String> rest) throws Usage, NetconfClient.RpcFailure, IOException {
        if (rest.isEmpty()) {
            box.rpc("<commit/>");
            out.println("commit complete");
            return;
        }
        if (!rest.get(0).equals("confirmed") || rest.size() > 2) {
            throw new Usage("commit takes nothing, or 'confirmed' and a number of seconds");
        }
        String seconds = rest.size() == 2 ? rest.get(1) : "600";
        if (!seconds.matches("\\d{1,5}")) {
            throw new Usage("commit confirmed takes a number of seconds, not '" + seconds + "'");
        }
        box.rpc("<commit><confirmed/><confirm-timeout>" + seconds + "</confirm-timeout></commit>");
        out.println("commit complete; it is rolled back in " + seconds + " s unless confirmed (confirm)");
    }

    private void rollback(List<String> rest) throws Usage, NetconfClient.RpcFailure, IOException {
        if (rest.isEmpty()) {
            Element reply = box.rpc("<list-commits xmlns=\"" + SYS + "\"/>");
            for (Element c : Text.children(reply)) {
                if (!c.getLocalName().equals("commit")) {
                    continue;
                }
                List<String> modules = Text.children(c).stream().filter(x -> x.getLocalName().equals("module")).map(Element::getTextContent).toList();
                out.printf("%4s  %s  %-10s %-24s %s%n", NetconfClient.text(c, "id"), NetconfClient.text(c, "time"), NetconfClient.text(c, "user"),
                        NetconfClient.text(c, "note"), String.join(",", modules));
            }
            return;
        }
        if (rest.size() != 1 || !rest.get(0).matches("\\d{1,18}")) {
            throw new Usage("rollback takes a commit's number (rollback lists them)");
        }
        box.rpc("<rollback xmlns=\"" + SYS + "\"><id>" + rest.get(0) + "</id></rollback>");
        out.println("running is commit " + rest.get(0) + "'s configuration again");
    }

    private void module(List<String> rest) throws Usage, NetconfClient.RpcFailure, IOException {
        String verb = rest.isEmpty() ? "" : rest.get(0);
        switch (verb) {
            case "list" -> {
                Element reply = box.rpc("<get><filter type=\"subtree\"><modules-state xmlns=\"" + SYS + "\"/></filter></get>");
                for (Element data : Text.children(reply)) {
                    for (Element st : Text.children(data)) {
                        for (Element m : Text.children(st)) {
                            out.printf("%-12s %-18s %-9s%s%n", NetconfClient.text(m, "name"), NetconfClient.text(m, "version"),
                                    NetconfClient.text(m, "state"), "true".equals(NetconfClient.text(m, "required")) ? " required" : "");
                        }
                    }
                }
            }
            case "install", "upgrade" -> {
                if (rest.size() != 4) {
                    throw new Usage("module " + verb + " NAME URL SHA256");
                }
                Element reply = box.rpc("<" + verb + "-module xmlns=\"" + SYS + "\"><name>" + Text.escape(rest.get(1)) + "</name><url>"
                        + Text.escape(rest.get(2)) + "</url><sha256>" + Text.escape(rest.get(3)) + "</sha256></" + verb + "-module>");
                out.println(rest.get(1) + " " + NetconfClient.text(reply, "version"));
            }
            case "enable", "disable" -> {
                if (rest.size() != 2) {
                    throw new Usage("module " + verb + " NAME");
                }
                box.rpc("<edit-config><target><running/></target><config><system xmlns=\"" + SYS + "\"><modules><module><name>"
                        + Text.escape(rest.get(1)) + "</name><enabled>" + verb.equals("enable") + "</enabled></module></modules></system></config>"
                        + "</edit-config>");
                out.println(rest.get(1) + " " + verb + "d");
            }
            case "remove" -> {
                if (rest.size() != 2) {
                    throw new Usage("module remove NAME");
                }
                box.rpc("<remove-module xmlns=\"" + SYS + "\"><name>" + Text.escape(rest.get(1)) + "</name></remove-module>");
                out.println(rest.get(1) + " removed");
            }
            default -> throw new Usage("module " + String.join("|", Completion.MODULE_VERBS));
        }
    }

    /** The keys of the entries of the list {@code p} ends at, in the candidate (for completion). */
    List<String> existing(ConfigPath.Resolved p) {
        try {
            Element data = data("candidate", p);
            List<String> out = new ArrayList<>();
            collect(data, p, 0, out);
            return out;
        } catch (IOException | NetconfClient.RpcFailure e) {
            return List.of();
        }
    }

    private static void collect(Element parent, ConfigPath.Resolved p, int i, List<String> out) {
        ConfigPath.Step s = p.steps().get(i);
        for (Element e : Text.children(parent)) {
            if (!e.getLocalName().equals(s.node().name())) {
                continue;
            }
            if (i == p.steps().size() - 1) {
                List<String> k = s.node().keys();
                if (!k.isEmpty()) {
                    Element key = Text.child(e, k.get(0));
                    if (key != null) {
                        out.add(key.getTextContent().trim());
                    }
                }
            } else {
                collect(e, p, i + 1, out);
            }
        }
    }

    Schema schema() {
        return schema;
    }

    /** The box's YANG modules, fetched with get-schema and compiled as the box compiles them. */
    static Schema schema(NetconfClient box) throws IOException {
        try {
            Element reply = box.rpc("<get><filter type=\"subtree\"><netconf-state xmlns=\"" + NCM + "\"><schemas/></netconf-state></filter></get>");
            List<SchemaCompiler.Source> sources = new ArrayList<>();
            for (Element schemaEl : elements(reply, "schema")) {
                String id = NetconfClient.text(schemaEl, "identifier");
                String version = NetconfClient.text(schemaEl, "version");
                String format = String.valueOf(NetconfClient.text(schemaEl, "format"));
                if (!format.equals("yang") && !format.endsWith(":yang")) { // an identityref: ncm:yang
                    continue;
                }
                Element text = box.rpc("<get-schema xmlns=\"" + NCM + "\"><identifier>" + id + "</identifier>" + (version == null
                        || version.isEmpty() ? "" : "<version>" + version + "</version>") + "</get-schema>");
                String yang = text.getTextContent();
                sources.add(new SchemaCompiler.Source(YangParser.parse(yang, id + ".yang"), yang));
            }
            return SchemaCompiler.compile(sources);
        } catch (NetconfClient.RpcFailure | YangException e) {
            throw new IOException("cannot read the box's YANG modules: " + e.getMessage(), e);
        }
    }

    private static List<Element> elements(Element root, String name) {
        List<Element> out = new ArrayList<>();
        var nodes = root.getElementsByTagNameNS(NCM, name);
        for (int i = 0; i < nodes.getLength(); i++) {
            out.add((Element) nodes.item(i));
        }
        return out;
    }

    /** The command line's options. */
    static final class Options {
        String host = "127.0.0.1";
        int port = -1;
        String user = "admin";
        Path passwordFile;
        Path key;
        Path file;
        String commandsArg;
        List<String> words = new ArrayList<>();
        boolean remote;

        static Options parse(String[] args) throws Usage {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--host" -> {
                        o.host = value(args, ++i, a);
                        o.remote = true;
                    }
                    case "--port" -> {
                        String v = value(args, ++i, a);
                        if (!v.matches("\\d{1,5}") || Integer.parseInt(v) < 1 || Integer.parseInt(v) > 65535) {
                            throw new Usage("--port takes a TCP port, not '" + v + "'");
                        }
                        o.port = Integer.parseInt(v);
                    }
                    case "--user" -> o.user = value(args, ++i, a);
                    case "--password-file" -> o.passwordFile = Path.of(value(args, ++i, a));
                    case "--key" -> o.key = Path.of(value(args, ++i, a));
                    case "-f" -> {
                        o.file = Path.of(value(args, ++i, a));
                        if (!Files.isReadable(o.file) || Files.isDirectory(o.file)) { // before connecting: not the box's fault
                            throw new Usage("cannot read the commands file " + o.file);
                        }
                    }
                    case "-c" -> o.commandsArg = value(args, ++i, a);
                    case "-h", "--help" -> throw new Usage("usage: besip-cli [--host H] [--port P] [--user U] [--password-file F | --key F]"
                            + " [-f FILE | -c \"CMD; CMD\"] [CMD ...]");
                    default -> {
                        if (a.startsWith("-") && o.words.isEmpty()) {
                            throw new Usage("unknown option " + a);
                        }
                        o.words.add(a);
                    }
                }
            }
            if (o.port < 0) {
                o.port = o.remote ? 830 : localPort();
            }
            return o;
        }

        private static String value(String[] args, int i, String option) throws Usage {
            if (i >= args.length) {
                throw new Usage(option + " needs a value");
            }
            return args[i];
        }

        /** The commands to run, or null for a terminal session or stdin. */
        List<String> commands() throws IOException {
            if (commandsArg != null) {
                return List.of(commandsArg.split(";"));
            }
            if (file != null) {
                return Files.readAllLines(file, StandardCharsets.UTF_8);
            }
            if (!words.isEmpty()) {
                return List.of(String.join(" ", words.stream().map(Text::quote).toList()));
            }
            return null;
        }

        /** The password: --password-file, else $BESIP_PASSWORD, else (on the box itself) the data directory's admin-password.txt. */
        String password() throws IOException {
            if (passwordFile != null) {
                return Files.readString(passwordFile).trim();
            }
            String env = System.getenv("BESIP_PASSWORD");
            if (env != null && !env.isEmpty()) {
                return env;
            }
            Path local = dataDir().resolve("admin-password.txt");
            if (!remote && Files.isReadable(local)) {
                return Files.readString(local).trim();
            }
            throw new IOException("no password: give --password-file, set BESIP_PASSWORD or use --key");
        }

        Path knownHosts() {
            String env = System.getenv("BESIP_CLI_KNOWN_HOSTS");
            return env != null && !env.isEmpty() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".besip", "known_hosts");
        }

        static Path dataDir() {
            String env = System.getenv("BESIP_DATA");
            if (env != null && !env.isEmpty()) {
                return Path.of(env);
            }
            String home = System.getProperty("besip.home", ".");
            return Path.of(home, "data");
        }

        /** besip.netconf.port of conf/besip.properties of the install, 830 when absent. */
        static int localPort() {
            Path conf = Path.of(System.getProperty("besip.home", "."), "conf", "besip.properties");
            try {
                java.util.Properties p = new java.util.Properties();
                try (var r = Files.newBufferedReader(conf)) {
                    p.load(r);
                }
                return Integer.parseInt(p.getProperty("besip.netconf.port", "830").trim());
            } catch (IOException | NumberFormatException e) {
                return 830;
            }
        }
    }
}
