@testable import KioskGuardDaemon
import NIOCore
import NIOEmbedded
import Testing

/// The events pipeline while journald cannot keep up: its reading waits, its deadlines do not.
@Suite struct JournalReadGateTests {
    private func send(_ line: String, to channel: EmbeddedChannel) throws {
        try channel.writeInbound(channel.allocator.buffer(string: line + "\n"))
    }

    private func replies(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    /// The `autoRead` the handler last set (an `EmbeddedChannel` records options, reads none).
    private func isReading(_ channel: EmbeddedChannel) -> Bool? {
        channel.options.last { $0.option is ChannelOptions.Types.AutoReadOption }?.value as? Bool
    }

    private func bound(_ fixture: DaemonFixture, session: String? = nil) throws -> EmbeddedChannel {
        let channel = try fixture.connect()
        try send(#"{"type":"hello","terminal":"counter-1","protocol":1}"#, to: channel)
        if let session { try send(#"{"type":"session.begin","session":"\#(session)","subject":"citizen"}"#, to: channel) }
        _ = try replies(channel)
        return channel
    }

    @Test func aPressedJournalStopsReadingAfterARead() throws {
        let fixture = try DaemonFixture()
        let channel = try bound(fixture, session: "s-1")
        #expect(isReading(channel) == true, "an identified peer on an unpressed journal is read")

        fixture.backlog.press()
        try send(#"{"type":"ping","id":"p1"}"#, to: channel)
        #expect(try replies(channel).contains(#""type":"pong""#), "the read taken is answered")
        #expect(isReading(channel) == false, "still read while the journal is pressed")
        // 60 s idle_timeout: the deadline fires while reading waits.
        fixture.advance(by: .seconds(61))
        #expect(try replies(channel).contains(#""type":"lock""#), "the idle session was not locked while the journal was pressed")

        fixture.backlog.relieve()
        fixture.loop.run()
        #expect(isReading(channel) == true, "not read again after relief")
    }

    @Test func aPeerThatConnectsWhileTheJournalIsPressedIsNotReadUntilRelief() throws {
        let fixture = try DaemonFixture()
        fixture.backlog.press()
        let channel = try fixture.connect()
        #expect(isReading(channel) != true, "a new peer was read while the journal was pressed")
        fixture.backlog.relieve()
        fixture.loop.run()
        #expect(isReading(channel) == true)
    }

    @Test func reliefReachesEveryConnectionHeld() throws {
        let fixture = try DaemonFixture(terminals: ["counter-1", "counter-2", "counter-3"])
        let channels = try (1...3).map { index in
            let channel = try fixture.connect()
            try send(#"{"type":"hello","terminal":"counter-\#(index)","protocol":1}"#, to: channel)
            return channel
        }
        fixture.backlog.press()
        for channel in channels { try send(#"{"type":"ping","id":"p"}"#, to: channel) }
        #expect(channels.map(isReading) == [false, false, false])
        fixture.backlog.relieve()
        fixture.loop.run()
        #expect(channels.map(isReading) == [true, true, true])
    }

    @Test func reliefDoesNotReadAPeerThatLeavesItsRepliesUnread() {
        var reads = ReadSwitch()
        #expect(reads.release(.identifying) == true)
        #expect(reads.hold(.repliesUnread) == false)
        #expect(reads.hold(.journalPressed) == nil, "already not read")
        #expect(reads.release(.journalPressed) == nil, "relief read a peer whose replies are unread")
        #expect(!reads.isReading)
        #expect(reads.release(.repliesUnread) == true)
    }

    @Test func aConnectionStartsUnreadUntilIdentifiedAndEachReasonCountsOnce() {
        var reads = ReadSwitch()
        #expect(!reads.isReading && reads.isHeld(by: .identifying))
        #expect(reads.hold(.journalPressed) == nil)
        #expect(reads.hold(.journalPressed) == nil)
        #expect(reads.release(.identifying) == nil, "read while the journal is pressed")
        #expect(reads.release(.journalPressed) == true)
        #expect(reads.release(.journalPressed) == nil, "a reason released twice")
        #expect(reads.isReading)
    }

    @Test func aConnectionClosedWhileHeldIsLeftClosedOnRelief() throws {
        let fixture = try DaemonFixture()
        let channel = try bound(fixture)
        fixture.backlog.press()
        try send(#"{"type":"ping","id":"p"}"#, to: channel)
        try channel.close().wait()
        fixture.backlog.relieve()
        fixture.loop.run()
        #expect(!channel.isActive)
        #expect(fixture.host.terminalSnapshots().allSatisfy { !$0.connected })
    }
}
