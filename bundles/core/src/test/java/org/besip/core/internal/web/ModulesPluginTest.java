package org.besip.core.internal.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.besip.core.api.module.ModuleException.Reason;
import org.junit.jupiter.api.Test;

class ModulesPluginTest {

    @Test
    void eachFailureKindHasItsOwnClientOrServerStatus() {
        assertEquals(404, ModulesPlugin.status(Reason.UNKNOWN_MODULE));
        assertEquals(400, ModulesPlugin.status(Reason.INVALID_INPUT));
        assertEquals(409, ModulesPlugin.status(Reason.CONFLICT));
        assertEquals(422, ModulesPlugin.status(Reason.RESOLUTION));
        assertEquals(500, ModulesPlugin.status(Reason.INTERNAL));
    }
}
