package io.cohortflow.service.auth;

/**
 * Who is calling: the key's workspace (Adobe's IMS org), its owner and role.
 *
 * @param ownerId the owner's numeric id, as Adobe's {@code owner.id}
 */
public record Principal(
        String keyName,
        String workspace,
        long ownerId,
        String ownerName,
        String ownerLogin,
        Role role) {

    public boolean can(Role needed) {
        return role.includes(needed);
    }
}
