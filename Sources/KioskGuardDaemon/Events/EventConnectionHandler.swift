import KioskGuardCore
import KioskGuardFraming
import KioskGuardProtocol
import Logging
import NIOCore
import Systemd

/// One kiosk app's connection, behind `ByteToMessageHandler(LineBatchDecoder)`: a thin handler
/// around `EventConnectionStateMachine`. It feeds the machine what happens on the channel
/// (identity known, a line, a deadline, a close) and carries out what the machine returns
/// against the channel and the engine host.
final class EventConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = LineBatch
    typealias OutboundOut = ByteBuffer

    private let host: EngineHost
    private let gate: AccessGate
    private let decoder: EventDecoder
    private let identifier: any PeerIdentifying
    private let helloTimeout: TimeAmount
    private var machine = EventConnectionStateMachine()
    private var helloDeadline: Scheduled<Void>?
    private var unreadReplyDeadline: Scheduled<Void>?
    private var counted = false
    private var refusals = ProtocolErrorTally()
    // The lines of one read arrived together, so one clock reading times them all.
    private var arrival: Moment?
    // Kept past the state that carries them, for the summary written when the connection closes.
    private var peer: PeerCredentials?
    private var terminalName: String?
    /// How long a peer may leave 256 KiB of replies unread before it is closed.
    static let unreadReplyGrace = TimeAmount.seconds(5)

    init(host: EngineHost, gate: AccessGate, decoder: EventDecoder, identifier: any PeerIdentifying, helloTimeout: TimeAmount) {
        self.host = host
        self.gate = gate
        self.decoder = decoder
        self.identifier = identifier
        self.helloTimeout = helloTimeout
    }

    func channelActive(context: ChannelHandlerContext) {
        guard gate.open() else {
            host.raiseConnectionLimit()
            context.close(promise: nil)
            return
        }
        counted = true
        let seconds = helloTimeout.nanoseconds / 1_000_000_000
        helloDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: helloTimeout) { [self] in
            perform(machine.helloDeadlinePassed(after: seconds), context)
        }
        identifier.identify(context.channel).assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let identity):
                peer = identity.credentials
                perform(machine.identified(identity), context)
            case .failure:
                perform(machine.identificationFailed(), context)
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        unwrapInboundIn(data).forEachLine { line in
            let decoded = decoder.decode(line)
            if let terminal = machine.eventTerminal, case .success(let message) = decoded, case .event(let event) = message.body {
                deliver(event, requestID: message.id, terminal: terminal)
                return true
            }
            perform(machine.received(decoded), context)
            return machine.isReading
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        arrival = nil
        host.flushWrites()
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        helloDeadline?.cancel()
        unreadReplyDeadline?.cancel()
        if let summary = refusals.drain() { report(summary, closing: true) }
        perform(machine.channelClosed(), context)
        if counted {
            counted = false
            gate.close()
        }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent {
            host.flushWrites()
            perform(machine.inputClosed(), context)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Backpressure: with 256 KiB of replies pending, stop reading this peer until it takes
        // them (a burst of refused lines in one read can get there while the peer reads fine).
        // A peer that still has not taken them after `unreadReplyGrace` is not reading at all.
        let options = context.channel.syncOptions
        if context.channel.isWritable {
            unreadReplyDeadline?.cancel()
            unreadReplyDeadline = nil
            try? options?.setOption(.autoRead, value: true)
            return
        }
        try? options?.setOption(.autoRead, value: false)
        context.flush()
        guard unreadReplyDeadline == nil else { return }
        unreadReplyDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: Self.unreadReplyGrace) { [self] in
            guard !context.channel.isWritable else { return }
            if let summary = refusals.drain() { report(summary, closing: false) }
            host.audit.daemon(.protocolErrors, "closing the connection of \(peerDescription): it does not read its replies",
                              level: .warning, fields: peerFields(reason: "not-reading"))
            perform(machine.notReading(), context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let tooLong = error as? LineTooLongError {
            perform(machine.lineTooLong(limit: tooLong.limit), context)
        } else {
            perform(machine.notReading(), context)
        }
    }

    // MARK: Carrying out the machine's actions

    private func perform(_ action: EventConnectionStateMachine.Action, _ context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .startReading:
            try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        case .reply(let message):
            write(message, context)
        case .replyAndClose(let message):
            write(message, context)
            context.closeAfterFlushing()
        case .closeAtOnce:
            context.close(promise: nil)
        case .close:
            context.closeAfterFlushing()
        case .bind(let hello, let identity, let requestID):
            bind(hello, identity, requestID: requestID, context)
        case .deliver(let event, let requestID, let terminal):
            deliver(event, requestID: requestID, terminal: terminal)
        case .release(let terminal):
            host.disconnect(terminal, channel: context.channel)
        }
    }

    private func deliver(_ event: KioskEvent, requestID: RequestID?, terminal: TerminalID) {
        let moment = arrival ?? host.now()
        arrival = moment
        host.handle(event, requestID: requestID, from: terminal, at: moment)
    }

    private func bind(_ hello: Hello, _ identity: PeerIdentity, requestID: RequestID?, _ context: ChannelHandlerContext) {
        guard let terminal = host.terminalConfiguration(named: hello.terminal),
              terminal.admits(uid: identity.uid, gid: identity.gid, groups: identity.supplementaryGroups)
        else {
            gate.deny(identity.credentials, socket: "events", terminal: hello.terminal, reason: "terminal-not-allowed")
            let refusal = EventError(.terminalNotAllowed, "this user may not act as terminal \(hello.terminal)", requestID: requestID)
            perform(machine.bindRefused(refusal), context)
            return
        }
        switch host.connect(hello.terminal, channel: context.channel, peer: identity.credentials) {
        case .success(let bound):
            helloDeadline?.cancel()
            terminalName = hello.terminal
            perform(machine.bound(to: bound), context)
        case .failure(var error):
            error.requestID = requestID
            perform(machine.bindRefused(error), context)
        }
    }

    private func write(_ message: OutboundMessage, _ context: ChannelHandlerContext) {
        if case .error(let error) = message, let summary = refusals.count(error.code, at: .now()) {
            report(summary, closing: false)
        }
        let bytes = message.encoded()
        var out = context.channel.allocator.buffer(capacity: bytes.count)
        out.writeBytes(bytes)
        context.write(wrapOutboundOut(out), promise: nil)
    }

    // MARK: Refusals in the journal

    private func report(_ summary: ProtocolErrorTally.Summary, closing: Bool) {
        let when = closing ? "before it closed" : "since the last summary"
        host.audit.daemon(.protocolErrors, "\(peerDescription) had \(summary.total) lines refused \(when): \(summary.reason)",
                          level: .warning, fields: peerFields(reason: summary.reason))
    }

    private var peerDescription: String {
        let terminal = terminalName.map { "terminal \($0)" } ?? "a kiosk app connection"
        return peer.map { "\(terminal) (uid \($0.uid), pid \($0.pid))" } ?? terminal
    }

    private func peerFields(reason: String) -> Logger.Metadata {
        var fields: Logger.Metadata = [JournalFields.reason: .string(reason)]
        fields[JournalFields.terminal] = terminalName.map { .string($0) }
        fields[JournalFields.peerUID] = peer.map { .string(String($0.uid)) }
        fields[JournalFields.peerPID] = peer.map { .string(String($0.pid)) }
        return fields
    }
}
