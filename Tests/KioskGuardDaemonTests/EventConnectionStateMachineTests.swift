@testable import KioskGuardCore
@testable import KioskGuardDaemon
import KioskGuardProtocol
import Systemd
import Testing

/// The per-connection state machine on its own: every way a connection can close, and what the
/// handler is told to do at each step. The terminal is released on every path.
@Suite struct EventConnectionStateMachineTests {
    private let peer = PeerIdentity(credentials: PeerCredentials(pid: 42, uid: 1000, gid: 1000), supplementaryGroups: [])
    private let terminal = TerminalID(0)

    private func bound() -> EventConnectionStateMachine {
        var machine = EventConnectionStateMachine()
        #expect(machine.identified(peer) == .startReading)
        let hello = InboundMessage(id: RequestID("h"), body: .hello(Hello(terminal: "counter-1")))
        #expect(machine.received(.success(hello)) == .bind(Hello(terminal: "counter-1"), peer, requestID: RequestID("h")))
        #expect(machine.bound(to: terminal) == .none)
        #expect(machine.state == .bound(terminal))
        #expect(machine.eventTerminal == terminal)
        return machine
    }

    @Test func aRefusalThatClosesKeepsTheTerminalUntilTheChannelIsGoneThenReleasesIt() {
        var machine = bound()
        let refusal = EventError(.badJSON, "not UTF-8", closesConnection: true)
        #expect(machine.received(.failure(refusal)) == .replyAndClose(.error(refusal)))
        #expect(machine.state == .closing(terminal: terminal))
        // Lines still in the read buffer after the refusal are not acted on.
        let event = InboundMessage(id: nil, body: .event(.activity(SessionID("s-1"))))
        #expect(machine.received(.success(event)) == .none)
        #expect(machine.eventTerminal == nil)
        #expect(machine.channelClosed() == .release(terminal))
        #expect(machine.state == .closed)
    }

    @Test func everyCloseTheDaemonStartsReleasesTheTerminal() {
        let closes: [(String, (inout EventConnectionStateMachine) -> EventConnectionStateMachine.Action)] = [
            ("line too long", { $0.lineTooLong(limit: 16) }),
            ("input closed", { $0.inputClosed() }),
            ("not reading", { $0.notReading() }),
            ("refused line", { $0.received(.failure(EventError(.badJSON, "overlong encoding", closesConnection: true))) }),
        ]
        for (name, close) in closes {
            var machine = bound()
            #expect(close(&machine) != .none, "\(name)")
            #expect(machine.channelClosed() == .release(terminal), "\(name)")
        }
    }

    @Test func aCloseByThePeerReleasesTheTerminal() {
        var machine = bound()
        #expect(machine.channelClosed() == .release(terminal))
        #expect(machine.channelClosed() == .none)
    }

    @Test func aConnectionNeverBoundReleasesNothing() {
        var machine = EventConnectionStateMachine()
        #expect(machine.identified(peer) == .startReading)
        #expect(machine.lineTooLong(limit: 16) == .replyAndClose(.error(EventError(.lineTooLong, "a line may have at most 16 bytes"))))
        #expect(machine.channelClosed() == .none)
    }

    @Test func nothingIsActedOnBeforeThePeerIsIdentifiedAndTheHelloDeadlineCloses() {
        var machine = EventConnectionStateMachine()
        let hello = InboundMessage(id: nil, body: .hello(Hello(terminal: "counter-1")))
        #expect(machine.received(.success(hello)) == .none)
        let action = machine.helloDeadlinePassed(after: 5)
        #expect(action == .replyAndClose(.error(EventError(.helloFirst, "no hello within 5 s", closesConnection: true))))
        #expect(machine.identified(peer) == .none)
    }

    @Test func aBusyTerminalIsAnsweredAndTheConnectionMayTryAgain() {
        var machine = EventConnectionStateMachine()
        _ = machine.identified(peer)
        let hello = InboundMessage(id: RequestID("h"), body: .hello(Hello(terminal: "counter-1")))
        _ = machine.received(.success(hello))
        let busy = EventError(.terminalBusy, "terminal counter-1 is held by another connection", requestID: RequestID("h"))
        #expect(machine.bindRefused(busy) == .reply(.error(busy)))
        #expect(machine.received(.success(hello)) == .bind(Hello(terminal: "counter-1"), peer, requestID: RequestID("h")))
    }

    @Test func aPeerThatMayNotActAsTheTerminalIsClosed() {
        var machine = EventConnectionStateMachine()
        _ = machine.identified(peer)
        _ = machine.received(.success(InboundMessage(id: nil, body: .hello(Hello(terminal: "counter-1")))))
        let refusal = EventError(.terminalNotAllowed, "this user may not act as terminal counter-1")
        #expect(machine.bindRefused(refusal) == .replyAndClose(.error(refusal)))
        #expect(machine.channelClosed() == .none)
    }

    @Test func aBoundConnectionDeliversEventsAndAnswersPingsAndSecondHellos() {
        var machine = bound()
        let activity = KioskEvent.activity(SessionID("s-1"))
        #expect(machine.received(.success(InboundMessage(id: RequestID("a"), body: .event(activity)))) == .deliver(activity, requestID: RequestID("a"), terminal: terminal))
        #expect(machine.received(.success(InboundMessage(id: RequestID("p"), body: .ping))) == .reply(.pong(id: RequestID("p"))))
        let again = machine.received(.success(InboundMessage(id: RequestID("h2"), body: .hello(Hello(terminal: "counter-2")))))
        #expect(again == .reply(.error(EventError(.badField, "this connection is already bound to a terminal", requestID: RequestID("h2")))))
        #expect(machine.helloDeadlinePassed(after: 5) == .none)
    }
}
