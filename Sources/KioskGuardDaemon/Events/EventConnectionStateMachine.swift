import KioskGuardCore
import KioskGuardProtocol

/// The life of one kiosk app connection as a pure state machine: it takes what happened on the
/// connection and returns what to do, and never touches a channel, a clock or the engine.
///
/// The terminal a connection is bound to stays in the state until the channel is gone, whoever
/// closed it: a close the daemon starts (a refused line, a peer that does not read) releases the
/// terminal exactly as a close by the peer does.
struct EventConnectionStateMachine {
    enum State: Equatable {
        /// Connected; the peer's credentials and groups are being looked up, and nothing is read.
        case identifying
        /// The peer is known; its first line must be a hello.
        case awaitingHello(PeerIdentity)
        /// Bound to a terminal: lines are session events for it. (The peer is not kept here: the
        /// state is read for every line, and copying its groups each time would cost.)
        case bound(TerminalID)
        /// The daemon is closing the connection; `terminal` is released once the channel is gone.
        case closing(terminal: TerminalID?)
        /// The channel is gone.
        case closed
    }

    /// What the connection handler must do.
    enum Action: Equatable {
        case none
        /// Start reading the peer's lines.
        case startReading
        /// Write `message`; the connection stays open.
        case reply(OutboundMessage)
        /// Write `message`, flush, then close.
        case replyAndClose(OutboundMessage)
        /// Close after what was written is flushed.
        case close
        /// Close now, dropping what the peer has not taken.
        case closeAtOnce
        /// Ask the engine host to bind the connection to `hello.terminal` for `peer`.
        case bind(Hello, PeerIdentity, requestID: RequestID?)
        /// Hand `event` from `terminal` to the engine.
        case deliver(KioskEvent, requestID: RequestID?, terminal: TerminalID)
        /// The connection of `terminal` is gone: tell the engine (client.lost for an open session).
        case release(TerminalID)
    }

    private(set) var state = State.identifying

    /// The terminal a bound connection's session events go to; nil while lines must go through
    /// `received`. The handler delivers a bound connection's events straight to it, which is
    /// what `received` returns for them, without building an action for every line.
    var eventTerminal: TerminalID? {
        if case .bound(let terminal) = state { return terminal }
        return nil
    }

    /// The peer's credentials and groups are known.
    mutating func identified(_ peer: PeerIdentity) -> Action {
        guard case .identifying = state else { return .none }
        state = .awaitingHello(peer)
        return .startReading
    }

    /// The peer could not be identified (the socket gave no credentials).
    mutating func identificationFailed() -> Action {
        closeConnection(.closeAtOnce)
    }

    /// A line arrived and was decoded (or refused) by the protocol codec.
    mutating func received(_ decoded: consuming Result<InboundMessage, EventError>) -> Action {
        let message: InboundMessage
        switch consume decoded {
        case .failure(let error):
            guard isReading else { return .none }
            return refuse(error)
        case .success(let decodedMessage):
            message = decodedMessage
        }
        switch state {
        case .awaitingHello(let peer):
            switch Handshake.hello(from: message) {
            case .failure(let error): return refuse(error)
            case .success(let hello): return .bind(hello, peer, requestID: message.id)
            }
        case .bound(let terminal):
            switch message.body {
            case .event(let event): return .deliver(event, requestID: message.id, terminal: terminal)
            case .ping: return .reply(.pong(id: message.id))
            case .hello: return .reply(.error(EventError(.badField, "this connection is already bound to a terminal", requestID: message.id)))
            }
        case .identifying, .closing, .closed:
            return .none
        }
    }

    /// The engine host bound the connection to `terminal` (the welcome is already written).
    mutating func bound(to terminal: TerminalID) -> Action {
        guard case .awaitingHello = state else { return .none }
        state = .bound(terminal)
        return .none
    }

    /// The engine host refused the hello (not admitted, busy, not configured).
    mutating func bindRefused(_ error: EventError) -> Action {
        guard case .awaitingHello = state else { return .none }
        return refuse(error)
    }

    /// A line went past the length limit before its newline.
    mutating func lineTooLong(limit: Int) -> Action {
        guard isReading else { return .none }
        return refuse(EventError(.lineTooLong, "a line may have at most \(limit) bytes"))
    }

    /// The hello deadline passed.
    mutating func helloDeadlinePassed(after seconds: Int64) -> Action {
        switch state {
        case .identifying, .awaitingHello:
            return refuse(EventError(.helloFirst, "no hello within \(seconds) s", closesConnection: true))
        case .bound, .closing, .closed:
            return .none
        }
    }

    /// The peer shut down its sending side: answer what it sent, then close.
    mutating func inputClosed() -> Action {
        closeConnection()
    }

    /// The peer left its replies unread past the grace period, or the channel failed: waiting
    /// for a flush would wait forever.
    /// A close already under way that waits for its flush is cut short too.
    mutating func notReading() -> Action {
        if case .closing = state { return .closeAtOnce }
        return closeConnection(.closeAtOnce)
    }

    /// The channel is gone, closed by either side.
    mutating func channelClosed() -> Action {
        let terminal: TerminalID?
        switch state {
        case .bound(let bound): terminal = bound
        case .closing(let bound): terminal = bound
        case .identifying, .awaitingHello, .closed: terminal = nil
        }
        state = .closed
        return terminal.map { .release($0) } ?? .none
    }

    /// Whether lines from the peer are acted on (not before it is identified, nor once closing).
    var isReading: Bool {
        switch state {
        case .awaitingHello, .bound: true
        case .identifying, .closing, .closed: false
        }
    }

    private var boundTerminal: TerminalID? {
        switch state {
        case .bound(let terminal): terminal
        case .closing(let terminal): terminal
        case .identifying, .awaitingHello, .closed: nil
        }
    }

    private mutating func refuse(_ error: EventError) -> Action {
        guard error.closesConnection else { return .reply(.error(error)) }
        state = .closing(terminal: boundTerminal)
        return .replyAndClose(.error(error))
    }

    private mutating func closeConnection(_ close: Action = .close) -> Action {
        switch state {
        case .closing, .closed: return .none
        case .identifying, .awaitingHello, .bound:
            state = .closing(terminal: boundTerminal)
            return close
        }
    }
}
