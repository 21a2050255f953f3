@testable import KioskGuardDaemon
import KioskGuardConfiguration
import KioskGuardProtocol
import Testing

@Suite("Control permissions")
struct ControlAccessTests {
    let access = ControlAccess(
        settings: ControlSettings(adminGroups: [NamedID(name: "kioskguard-admin", id: 900)], readGroups: [NamedID(name: "auditors", id: 901)]),
        daemonUID: 990
    )

    @Test("root, the daemon's user and admin-group members may do everything")
    func admins() {
        #expect(access.grant(uid: 0, gid: 0, groups: []) == .admin)
        #expect(access.grant(uid: 990, gid: 990, groups: []) == .admin)
        #expect(access.grant(uid: 1000, gid: 1000, groups: [900]) == .admin)
        #expect(access.grant(uid: 1000, gid: 900, groups: []) == .admin)
    }

    @Test("read-group members may read, and are told which group acting needs")
    func readers() {
        let grant = access.grant(uid: 1001, gid: 1001, groups: [901])
        #expect(grant == .read)
        #expect(access.refusal(of: .status, under: grant) == nil)
        let refusal = access.refusal(of: .lock, under: grant)
        #expect(refusal?.code == .permissionDenied)
        #expect(refusal?.message == "'lock' needs root or membership in kioskguard-admin")
    }

    @Test("everyone else may do nothing")
    func others() {
        let grant = access.grant(uid: 1002, gid: 1002, groups: [])
        #expect(grant == .none)
        // Nothing about who may: an outsider learns no group to aim at.
        #expect(access.refusal(of: .status, under: grant)?.message == "this user may not use the kioskguard control socket")
    }
}
