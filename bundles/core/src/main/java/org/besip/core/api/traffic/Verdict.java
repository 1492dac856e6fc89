package org.besip.core.api.traffic;

public enum Verdict { ACCEPT, DROP }
