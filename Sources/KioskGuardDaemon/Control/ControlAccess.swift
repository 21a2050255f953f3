import KioskGuardConfiguration
import KioskGuardProtocol

/// Who may use which control verbs: root, the daemon's own user and members of `admin_groups`
/// may use every verb; members of `read_groups` the read verbs; nobody else any.
struct ControlAccess {
    var settings: ControlSettings
    let daemonUID: UInt32

    enum Grant { case admin, read, none }

    func grant(uid: UInt32, gid: UInt32, groups: [UInt32]) -> Grant {
        let memberships = Set(groups + [gid])
        if uid == 0 || uid == daemonUID || settings.adminGroups.contains(where: { memberships.contains($0.id) }) { return .admin }
        if settings.readGroups.contains(where: { memberships.contains($0.id) }) { return .read }
        return .none
    }

    /// Why `verb` is refused under `grant`; nil if allowed. A reader is told which groups acting
    /// needs; a peer with no grant is told nothing about who may (it learns no group to aim at).
    func refusal(of verb: ControlVerb, under grant: Grant) -> ControlError? {
        switch grant {
        case .admin: return nil
        case .read where verb.isReadOnly: return nil
        case .read:
            let groups = settings.adminGroups.map(\.name)
            let needed = groups.isEmpty ? "root" : "root or membership in " + groups.joined(separator: " or ")
            return ControlError(.permissionDenied, "'\(verb.rawValue)' needs \(needed)")
        case .none:
            return ControlError(.permissionDenied, "this user may not use the kioskguard control socket")
        }
    }
}
