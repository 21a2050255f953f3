import Foundation
import KioskGuardConfiguration
import KioskGuardCore
@testable import KioskGuardDaemon
import KioskGuardFraming
import KioskGuardProtocol
import KioskGuardTesting
import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import Systemd

/// A fixed peer, so pipelines run in an `EmbeddedChannel`, which has no socket to ask.
struct FixedPeerIdentifier: PeerIdentifying {
    var identity = PeerIdentity(credentials: PeerCredentials(pid: 4242, uid: 1000, gid: 1000), supplementaryGroups: [])

    func credentials(of channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        channel.eventLoop.makeSucceededFuture(identity.credentials)
    }

    func identity(of credentials: PeerCredentials, on channel: any Channel, askingLogind: Bool) -> EventLoopFuture<PeerIdentity> {
        channel.eventLoop.makeSucceededFuture(identity)
    }
}

/// A fixed peer that remembers, for each connection, whether its logind session was asked for.
final class AskCountingPeerIdentifier: PeerIdentifying, @unchecked Sendable {
    /// `askingLogind` of each identity lookup, in order; only touched on the embedded loop.
    private(set) var askedLogind: [Bool] = []

    func credentials(of channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        FixedPeerIdentifier().credentials(of: channel)
    }

    func identity(of credentials: PeerCredentials, on channel: any Channel, askingLogind: Bool) -> EventLoopFuture<PeerIdentity> {
        askedLogind.append(askingLogind)
        return FixedPeerIdentifier().identity(of: credentials, on: channel, askingLogind: askingLogind)
    }
}

/// A real `EngineHost` on an `EmbeddedEventLoop`, with a manual clock, a real state store and a
/// journal that is captured: the daemon's connection pipelines run against it in tests.
final class DaemonFixture {
    let loop = EmbeddedEventLoop()
    let log = CapturingLogHandler()
    let directory = NSTemporaryDirectory() + "kioskguard-handler-\(UUID().uuidString)"
    let pool = NIOThreadPool(numberOfThreads: 1)
    /// The host's clock; `advance` moves it and runs the host's timers that fall due.
    let clock = ManualClock()
    let host: EngineHost
    let gate: AccessGate
    let decoder: EventDecoder
    /// The journal backlog the events pipeline's read gate asks; a test presses it.
    let backlog = PressableBacklog()
    let readGate: JournalReadGate

    /// A host whose `terminals` (one, `counter-1`, unless told) each have `terminalSettings`
    /// (their lock actions).
    init(terminalSettings: String = "lock_actions = [\"client\"]\n", terminals: [String] = ["counter-1"]) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let tables = terminals.map { "[[terminal]]\nname = \"\($0)\"\nallowed_users = [\"1000\"]\n" + terminalSettings }
        let configuration = try Self.configuration(in: directory, terminals: tables.joined())
        let log = log
        let audit = AuditLog(logger: Logger(label: "test") { _ in log })
        pool.start()
        let metrics = DaemonMetrics(site: configuration.daemon.site, terminals: configuration.terminals.map(\.name))
        host = EngineHost(eventLoop: loop, configuration: configuration, clock: clock, audit: audit,
                          state: try StateStore(directory: directory), lockActions: LockActionRunner(pool: pool, audit: audit, metrics: metrics),
                          metrics: metrics)
        gate = AccessGate(host: host, audit: audit)
        readGate = JournalReadGate(backlog: backlog, eventLoop: loop)
        var limits = ProtocolLimits()
        limits.maxLineLength = 256
        decoder = EventDecoder(limits: limits, pseudonymizer: try Pseudonymizer(key: [UInt8](repeating: 7, count: 32)))
    }

    /// A configuration of this fixture's directories with `terminals` (`[[terminal]]` tables).
    func configuration(terminals: String) throws -> DaemonConfiguration {
        try Self.configuration(in: directory, terminals: terminals)
    }

    private static func configuration(in directory: String, terminals: String) throws -> DaemonConfiguration {
        try ConfigurationLoader(environment: ["RUNTIME_DIRECTORY": directory, "STATE_DIRECTORY": directory]).load(texts: [
            ("test.toml", "[control]\nadmin_groups = []\nread_groups = [\"root\"]\n[policy]\nidle_timeout = \"60s\"\n" + terminals),
        ])
    }

    deinit {
        try? pool.syncShutdownGracefully()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A connected channel with the events socket's pipeline, behind `outer` (nearest the socket).
    func connect(behind outer: (any ChannelHandler)? = nil, identifier: any PeerIdentifying = FixedPeerIdentifier()) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: loop)
        if let outer { try channel.pipeline.syncOperations.addHandler(outer) }
        try channel.pipeline.syncOperations.addEventConnectionHandlers(EventConnectionServices(
            host: host, gate: gate, decoder: decoder, identifier: identifier, readGate: readGate))
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/kioskguard-test/events.sock")).wait()
        return channel
    }

    /// A connected channel with the control socket's pipeline, for a peer of `identity`.
    func connectControl(as identity: PeerIdentity) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: loop)
        let service = ControlService(host: host, pseudonymizer: try Pseudonymizer(key: [UInt8](repeating: 7, count: 32)))
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBatchDecoder(maxLineLength: ControlConnectionHandler.maxLineLength)))
        try channel.pipeline.syncOperations.addHandler(ControlConnectionHandler(
            service: service, gate: gate, identifier: FixedPeerIdentifier(identity: identity), daemonUID: 999))
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/kioskguard-test/control.sock")).wait()
        return channel
    }

    /// Moves the host's clock by `duration` and runs the timers that fall due by then.
    func advance(by duration: Duration) {
        let now = clock.advance(by: duration)
        loop.advanceTime(to: .uptimeNanoseconds(UInt64(now.monotonic.nanoseconds)))
    }

    var clientLostAnomalies: Int {
        log.records.withLock { $0.count { $0.metadata[JournalFields.anomaly] == "client.lost" } }
    }
}
