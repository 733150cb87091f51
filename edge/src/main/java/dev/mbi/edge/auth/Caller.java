package dev.mbi.edge.auth;

/**
 * Who is calling, once their credential checked out: a user (an API token's name, or a JWT's
 * subject) who may be an administrator.
 */
public record Caller(String name, boolean admin) {
}
