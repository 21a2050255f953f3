import KioskGuardConfiguration
@testable import KioskGuardDaemon
import KioskGuardProtocol
import NIOCore
import NIOEmbedded
import Systemd
import Testing

/// The control connection's state machine on its own, and its pipeline in an `EmbeddedChannel`
/// against a real engine host: who may do what, and how bad requests are answered.
@Suite struct ControlConnectionTests {
    private let outsider = PeerIdentity(credentials: PeerCredentials(pid: 7, uid: 1000, gid: 1000), supplementaryGroups: [])
    private let reader = PeerIdentity(credentials: PeerCredentials(pid: 8, uid: 1001, gid: 1001), supplementaryGroups: [0])
    private let root = PeerIdentity(credentials: PeerCredentials(pid: 9, uid: 0, gid: 0), supplementaryGroups: [])

    private func machine() -> ControlConnectionStateMachine {
        ControlConnectionStateMachine(access: ControlAccess(
            settings: ControlSettings(adminGroups: [], readGroups: [NamedID(name: "root", id: 0)]), daemonUID: 999))
    }

    @Test func aPeerInNoGroupIsRefusedAndClosedBeforeAnythingIsRead() {
        var machine = machine()
        guard case .refuseAndClose(let peer, let error) = machine.identified(outsider) else {
            Issue.record("an outsider was not refused")
            return
        }
        #expect(peer == outsider && error.code == .permissionDenied)
        #expect(machine.received(.success(ControlRequest(id: "1", verb: .status))) == .none)
    }

    @Test func aReaderMayReadButNotAct() {
        var machine = machine()
        #expect(machine.identified(reader) == .startReading)
        #expect(machine.received(.success(ControlRequest(id: "1", verb: .status))) == .perform(ControlRequest(id: "1", verb: .status), uid: 1001, grant: .read))
        guard case .reject(let id, let error) = machine.received(.success(ControlRequest(id: "2", verb: .lock, target: "counter-1"))) else {
            Issue.record("a reader could lock")
            return
        }
        #expect(id == "2" && error.code == .permissionDenied)
        #expect(machine.state == .serving(reader, .read))
    }

    @Test func nothingIsActedOnBeforeThePeerIsKnownAndAnOverlongRequestCloses() {
        var machine = machine()
        #expect(machine.received(.success(ControlRequest(id: "1", verb: .status))) == .none)
        #expect(machine.lineTooLong() == .close)
        var serving = self.machine()
        _ = serving.identified(root)
        #expect(serving.lineTooLong() == .rejectAndClose(id: "", ControlError(.lineTooLong, "request too long")))
        #expect(serving.close() == .none)
    }

    private func send(_ text: String, to channel: EmbeddedChannel) throws {
        try channel.writeInbound(ByteBuffer(string: text + "\n"))
    }

    private func replies(_ channel: EmbeddedChannel) throws -> [String] {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text.split(separator: "\n").map(String.init)
    }

    @Test func thePipelineAnswersAReaderAndRefusesAnOutsider() throws {
        let fixture = try DaemonFixture()
        let channel = try fixture.connectControl(as: reader)
        try send(#"{"id":"s","verb":"status"}"#, to: channel)
        let status = try replies(channel)
        #expect(status.count == 1 && status[0].contains(#""ok":true"#) && status[0].contains(#""terminals_configured":1"#), "\(status)")
        try send(#"{"id":"l","verb":"lock","target":"counter-1"}"#, to: channel)
        #expect(try replies(channel).first?.contains("permission-denied") == true)
        try send("not json", to: channel)
        #expect(try replies(channel).first?.contains(#""ok":false"#) == true)
        #expect(channel.isActive)

        let refused = try fixture.connectControl(as: outsider)
        #expect(try replies(refused).first?.contains("permission-denied") == true)
        #expect(!refused.isActive)
        #expect(fixture.log.records.withLock { $0.contains { $0.metadata["KIOSKGUARD_EVENT"] == "terminal-denied" } })
    }

    @Test func anOverlongRequestIsAnsweredAndClosed() throws {
        let fixture = try DaemonFixture()
        let channel = try fixture.connectControl(as: root)
        try channel.writeInbound(ByteBuffer(string: String(repeating: "x", count: ControlConnectionHandler.maxLineLength + 10)))
        #expect(try replies(channel).first?.contains("line-too-long") == true)
        #expect(!channel.isActive)
    }

    @Test func aConnectionWithoutARequestIsClosedAtTheIdleDeadlineAndReleased() throws {
        let fixture = try DaemonFixture()
        let channel = try fixture.connectControl(as: root)
        #expect(fixture.gate.openConnections(on: .control) == 1)
        fixture.loop.advanceTime(by: ControlConnectionHandler.idleTimeout - .seconds(1))
        try send(#"{"id":"s","verb":"status"}"#, to: channel)
        #expect(try replies(channel).count == 1)
        // The deadline starts again from the reply, and a request begun but never ended does not stop it.
        try channel.writeInbound(ByteBuffer(string: #"{"id":"t","verb":"#))
        fixture.loop.advanceTime(by: ControlConnectionHandler.idleTimeout - .seconds(1))
        #expect(channel.isActive)
        fixture.loop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
        #expect(fixture.gate.openConnections(on: .control) == 0)
    }

    @Test func oneUidHoldsAtMostItsShareOfControlConnections() throws {
        let fixture = try DaemonFixture()
        let held = try (0..<ConnectionLimits.control.perUID).map { _ in try fixture.connectControl(as: reader) }
        #expect(held.allSatisfy { $0.isActive })
        let refused = try fixture.connectControl(as: reader)
        #expect(!refused.isActive)
        #expect(try fixture.connectControl(as: root).isActive)
        #expect(fixture.log.records.withLock { $0.contains { $0.metadata["KIOSKGUARD_REASON"] == "connection-limit" } })
    }
}
