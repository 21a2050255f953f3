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
import Testing

/// The event connection's pipeline (line decoder, then the handler) in an `EmbeddedChannel`,
/// against a real `EngineHost` with a manual clock and a real state store: closes the daemon
/// starts release the terminal as the peer's own close does.
@Suite struct EventConnectionHandlerTests {
    private func send(_ line: some Collection<UInt8>, to channel: EmbeddedChannel) throws {
        var buffer = channel.allocator.buffer(capacity: line.count + 1)
        buffer.writeBytes(line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        try channel.writeInbound(buffer)
    }

    private func replies(_ channel: EmbeddedChannel) throws -> [String] {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text.split(separator: "\n").map(String.init)
    }

    private func bindAndBegin(_ fixture: DaemonFixture) throws -> EmbeddedChannel {
        let channel = try fixture.connect()
        try send(Array(#"{"type":"hello","terminal":"counter-1","protocol":1}"#.utf8), to: channel)
        #expect(try replies(channel).first?.contains(#""type":"welcome""#) == true)
        try send(Array(#"{"type":"session.begin","session":"s-1","subject":"citizen"}"#.utf8), to: channel)
        return channel
    }

    /// A card.inserted line whose subject is `bytes`, which are not valid UTF-8.
    private static func cardInserted(subject bytes: [UInt8]) -> [UInt8] {
        let head: [UInt8] = Array(#"{"type":"card.inserted","subject":""#.utf8)
        let tail: [UInt8] = Array(#""}"#.utf8)
        return head + bytes + tail
    }

    /// A line the daemon answers with an error and a close.
    struct RefusedLine: Sendable, CustomTestStringConvertible {
        var kind: String
        var bytes: [UInt8]
        var testDescription: String { kind }
    }

    static let refusedWithAClose = [
        RefusedLine(kind: "invalid UTF-8", bytes: cardInserted(subject: [0xC0, 0xAF])),
        RefusedLine(kind: "overlong encoding", bytes: cardInserted(subject: [0xE0, 0x80, 0xAF])),
        RefusedLine(kind: "lone surrogate", bytes: cardInserted(subject: [0xED, 0xA0, 0x80])),
        RefusedLine(kind: "ISO-8859-1", bytes: cardInserted(subject: [0x63, 0x61, 0x66, 0xE9])),
        RefusedLine(kind: "over the limit", bytes: [UInt8](repeating: UInt8(ascii: "x"), count: 300)),
    ]

    @Test(arguments: refusedWithAClose)
    func aLineRefusedWithACloseReleasesTheTerminal(_ refused: RefusedLine) throws {
        let kind = refused.kind, line = refused.bytes
        let fixture = try DaemonFixture()
        let channel = try bindAndBegin(fixture)
        try send(line, to: channel)
        let refusal = try replies(channel)
        #expect(refusal.count == 1 && (refusal[0].contains("bad-json") || refusal[0].contains("line-too-long")), "\(kind): \(refusal)")
        #expect(!channel.isActive, "\(kind): the connection stays open")
        #expect(fixture.host.terminalSnapshots().allSatisfy { !$0.connected }, "\(kind): the terminal stays bound")
        #expect(fixture.clientLostAnomalies == 1, "\(kind)")
        #expect(fixture.gate.openConnections(on: .events) == 0, "\(kind): the closed connection is still counted")

        let again = try fixture.connect()
        try send(Array(#"{"type":"hello","terminal":"counter-1","protocol":1}"#.utf8), to: again)
        let answer = try replies(again)
        #expect(answer.first?.contains(#""type":"welcome""#) == true, "\(kind): \(answer)")
        #expect(answer.dropFirst().first?.contains(#""reason":"client-lost""#) == true, "\(kind): the lock is not replayed")
    }

    /// The handler reads canonical activity lines on a short path of its own: each form of a
    /// line must reach the engine as the general reader's would.
    static let activityForms: [(kind: String, line: String?)] = [
        ("canonical", #"{"type":"activity","session":"s-1"}"#),
        ("spaced", #"{ "type": "activity", "session": "s-1" }"#),
        ("fields reordered", #"{"session":"s-1","type":"activity"}"#),
        ("none", nil),
    ]

    @Test(arguments: activityForms)
    func activityInEveryFormPutsTheIdleLockOff(_ form: (kind: String, line: String?)) throws {
        let fixture = try DaemonFixture()
        let channel = try bindAndBegin(fixture)
        fixture.advance(by: .seconds(50))
        if let line = form.line { try send(Array(line.utf8), to: channel) }
        // 60 s idle_timeout: 100 s after the begin only a session left idle since then is locked.
        fixture.advance(by: .seconds(50))
        let locked = try replies(channel).contains { $0.contains(#""type":"lock""#) }
        #expect(locked == (form.line == nil), "\(form.kind)")
    }

    @Test func activityForASessionNotOpenIsAnsweredAlikeInEitherForm() throws {
        let fixture = try DaemonFixture()
        let channel = try bindAndBegin(fixture)
        _ = try replies(channel)
        try send(Array(#"{"type":"activity","session":"s-9"}"#.utf8), to: channel)
        let canonical = try replies(channel)
        try send(Array(#"{ "type":"activity","session":"s-9"}"#.utf8), to: channel)
        let spaced = try replies(channel)
        #expect(canonical.count == 1 && canonical == spaced, "\(canonical) and \(spaced)")
    }

    @Test func aPeerThatClosesReleasesTheTerminalTheSameWay() throws {
        let fixture = try DaemonFixture()
        let channel = try bindAndBegin(fixture)
        try channel.close().wait()
        #expect(fixture.host.terminalSnapshots().allSatisfy { !$0.connected })
        #expect(fixture.clientLostAnomalies == 1)
    }

    @Test func aPeerThatHalfClosesIsAnsweredThenClosedAndReleased() throws {
        let fixture = try DaemonFixture()
        let channel = try bindAndBegin(fixture)
        try send(Array(#"{"type":"ping","id":"last"}"#.utf8), to: channel)
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try replies(channel) == [#"{"type":"pong","id":"last"}"#])
        #expect(!channel.isActive)
        #expect(fixture.clientLostAnomalies == 1)
    }

    @Test func aSecondHelloForABoundTerminalIsBusyAndKeepsItsConnection() throws {
        let fixture = try DaemonFixture()
        _ = try bindAndBegin(fixture)
        let second = try fixture.connect()
        try send(Array(#"{"type":"hello","terminal":"counter-1","protocol":1,"id":"h"}"#.utf8), to: second)
        #expect(try replies(second).first?.contains("terminal-busy") == true)
        #expect(second.isActive)
        try second.close().wait()
        #expect(fixture.host.terminalSnapshots().allSatisfy { $0.connected })
        #expect(fixture.clientLostAnomalies == 0)
    }

    static let logindLockPlans: [(settings: String, asked: Bool)] = [
        ("lock_actions = [\"client\"]\n", false),
        ("lock_actions = [\"client\", \"exec\"]\nexec_command = [\"/bin/true\"]\n", false),
        ("lock_actions = [\"client\", \"logind\"]\nlogind_session = \"c7\"\n", false),
        ("lock_actions = [\"client\", \"logind\"]\n", true),
        ("", true),
    ]

    @Test(arguments: logindLockPlans)
    func aKioskAppsLoginSessionIsAskedOfLogindOnlyWhenATerminalLocksItThroughLogind(_ plan: (settings: String, asked: Bool)) throws {
        // Asking costs a D-Bus round trip and a lookup kept per connection; without a terminal
        // whose logind action acts on the app's own session, nothing would ever read it.
        let fixture = try DaemonFixture(terminalSettings: plan.settings)
        let identifier = AskCountingPeerIdentifier()
        _ = try fixture.connect(identifier: identifier)
        #expect(identifier.askedLogind == [plan.asked])
    }

    @Test func aReloadThatAddsATerminalLockingThroughLogindMakesTheNextConnectionAsk() throws {
        let fixture = try DaemonFixture()
        let identifier = AskCountingPeerIdentifier()
        _ = try fixture.connect(identifier: identifier)
        fixture.host.reconfigure(try fixture.configuration(terminals: """
            [[terminal]]
            name = "counter-1"
            allowed_users = ["1000"]
            lock_actions = ["client"]
            [[terminal]]
            name = "counter-2"
            allowed_users = ["1000"]
            lock_actions = ["client", "logind"]

            """))
        _ = try fixture.connect(identifier: identifier)
        #expect(identifier.askedLogind == [false, true])
    }

    @Test func aFlushThatDrainsTheBufferReentersTheHandlerAndReadingGoesOn() throws {
        // The system test caught this under load: pausing, the handler flushes; the socket takes
        // everything, the channel turns writable inside that flush and the handler is entered
        // again to resume, which must not overlap the pause's access to its state.
        let fixture = try DaemonFixture()
        let channel = try fixture.connect(behind: DrainingOnFlush())
        try send(Array(#"{"type":"hello","terminal":"counter-1","protocol":1}"#.utf8), to: channel)
        _ = try replies(channel)
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(channel.isWritable)
        #expect(try channel.getOption(.autoRead).wait())
        fixture.loop.advanceTime(by: ReplyBackpressure.grace + .seconds(1))
        #expect(channel.isActive, "a peer that took its replies was closed as not reading")
    }
}

/// Stands for a socket that takes every pending byte at once: after the flush the channel is
/// writable again, and says so from inside the flush, as NIO's channel does.
private final class DrainingOnFlush: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer

    func flush(context: ChannelHandlerContext) {
        context.flush()
        guard let channel = context.channel as? EmbeddedChannel, !channel.isWritable else { return }
        channel.isWritable = true
        context.fireChannelWritabilityChanged()
    }
}
