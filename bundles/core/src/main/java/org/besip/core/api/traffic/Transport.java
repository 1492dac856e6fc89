package org.besip.core.api.traffic;

public enum Transport { UDP, TCP, TLS }
