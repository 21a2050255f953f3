import KioskGuardConfiguration

/// The connection limits of one socket under one configuration: how many connections it holds in
/// all, and how many one peer uid may hold that are not bound to a terminal (waiting for `hello`,
/// or refused and closing). A uid is limited before it says anything, so no one user can keep
/// others out by opening connections, and room is kept for the users the terminals name.
struct ConnectionLimits: Equatable {
    /// Connections at once, of every peer.
    var total: Int
    /// Unbound connections one uid may hold, unless `namedUIDs` allows it more.
    var perUID: Int
    /// Uids named in terminals' `allowed_users`, each with the number of terminals naming it: such
    /// a uid may hold one unbound connection per terminal (all its counters reconnecting at once).
    var namedUIDs: [UInt32: Int]
    /// Connections kept for named uids: the others may fill at most `total - reserved`.
    var reserved: Int

    /// The unbound connections `uid` may hold.
    func unboundLimit(of uid: UInt32) -> Int {
        max(perUID, namedUIDs[uid] ?? 0)
    }

    /// Whether `uid` is named by a terminal and so may use the reserved room.
    func isNamed(_ uid: UInt32) -> Bool {
        namedUIDs[uid] != nil
    }

    /// The events socket's limits: `max_connections` and `max_connections_per_uid`, with one
    /// connection kept for each terminal that names its users.
    static func events(_ configuration: DaemonConfiguration) -> ConnectionLimits {
        var named: [UInt32: Int] = [:]
        var naming = 0
        for terminal in configuration.terminals where !terminal.allowedUsers.isEmpty {
            naming += 1
            for uid in Set(terminal.allowedUsers.map(\.id)) { named[uid, default: 0] += 1 }
        }
        let total = configuration.daemon.maxConnections
        return ConnectionLimits(total: total, perUID: configuration.daemon.maxConnectionsPerUID, namedUIDs: named,
                                reserved: min(naming, total - 1))
    }

    /// The control socket's limits: admin tools open one connection per command.
    static let control = ConnectionLimits(total: 64, perUID: 8, namedUIDs: [:], reserved: 0)
}
