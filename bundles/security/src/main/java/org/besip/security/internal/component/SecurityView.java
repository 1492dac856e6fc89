package org.besip.security.internal.component;

import java.io.IOException;
import java.sql.SQLException;
import java.util.List;

import org.besip.core.api.config.ConfigRejectedException;
import org.besip.security.internal.block.Blocklist;
import org.besip.security.internal.block.SecurityStore;
import org.besip.security.internal.engine.Engine;
import org.besip.security.internal.rules.RuleParser;

/**
 * What the running security module shows of itself and the few things an operator does to it
 * by hand: for its page, its metrics and its RPCs, each a component of its own over this view
 * (the module's engine, {@link SecurityComponent}, provides it).
 */
public interface SecurityView {

    /** The blocks in force at {@code nowMs}. */
    List<Blocklist.Block> activeBlocks(long nowMs);

    /** Where blocks are enforced besides the application: "none" or the kernel backend's name. */
    String firewallName();

    /** What keeps capture or the kernel's blocks from working on this host (e.g. a missing capability). */
    java.util.List<String> hostProblems();

    /** Messages dropped since start (blocked sources and rules with a drop action). */
    long dropped();

    /** Alerts since start. */
    long alerts();

    List<SecurityStore.Alert> recentAlerts(int n) throws SQLException;

    List<Engine.Stats> ruleStats();

    List<RuleParser.Problem> problems();

    /** Blocks an address by hand, from the RPC {@code rpc} or (null) the page: the same checks for both. */
    void blockByHand(String address, long seconds, String reason, String rpc) throws ConfigRejectedException;

    /** Lifts a block by hand, from the RPC {@code rpc} or (null) the page. */
    void unblockByHand(String address, String rpc) throws ConfigRejectedException;

    /** Reads the rules again (the operator's files changed): how many now run, and what could not be loaded. */
    Reloaded reloadRules() throws ConfigRejectedException;

    /** Sends the e-mail report now; returns how many alerts it held. */
    int report() throws IOException, SQLException, ConfigRejectedException;

    /** What a reload left running. */
    record Reloaded(int rules, List<RuleParser.Problem> problems) {
    }
}
