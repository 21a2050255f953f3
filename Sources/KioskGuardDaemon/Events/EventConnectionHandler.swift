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

    private let services: EventConnectionServices
    private var machine = EventConnectionStateMachine()
    private var helloDeadline: Scheduled<Void>?
    private var backpressure = ReplyBackpressure()
    private var reads = ReadSwitch()
    private var ticket: ConnectionBudget.Ticket?
    // The lines of one read arrived together, so one clock reading times them all.
    private var arrival: Moment?
    // Kept past the state that carries them, for the summary written when the connection closes.
    private var peer: PeerCredentials?
    private var terminalName: String?

    init(services: EventConnectionServices) {
        self.services = services
    }

    private var host: EngineHost { services.host }
    private var gate: AccessGate { services.gate }

    func channelActive(context: ChannelHandlerContext) {
        services.identifier.credentials(of: context.channel).assumeIsolated().whenComplete { [self] result in
            guard case .success(let credentials) = result, let admitted = gate.admit(credentials, on: .events) else {
                perform(machine.identificationFailed(), context)
                return
            }
            ticket = admitted
            peer = credentials
            admittedConnection(of: credentials, context)
        }
        context.fireChannelActive()
    }

    private func admittedConnection(of credentials: PeerCredentials, _ context: ChannelHandlerContext) {
        // Read per connection, so a reload's hello_timeout applies to the next connection.
        let timeout = host.configuration.daemon.helloTimeout
        let seconds = timeout.components.seconds
        helloDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(timeout.nanoseconds)) { [self] in
            perform(machine.helloDeadlinePassed(after: seconds), context)
        }
        services.identifier.identity(of: credentials, on: context.channel, askingLogind: host.looksUpAppLoginSessions).assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let identity): perform(machine.identified(identity), context)
            case .failure: perform(machine.identificationFailed(), context)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Taken out of the shared services once per read, not once per line.
        let decoder = services.decoder, host = services.host
        unwrapInboundIn(data).forEachLine { line in
            // A bound connection's session events skip the machine: what it would return for
            // them is this delivery, and building that action for every line would cost. The
            // commonest of them, a canonical activity line, skips building the message too.
            if let terminal = machine.eventTerminal, let session = decoder.canonicalActivitySession(line) {
                deliver(.activity(session), requestID: nil, terminal: terminal, to: host)
                return true
            }
            switch decoder.decode(line) {
            case .success(let message):
                if let terminal = machine.eventTerminal, case .event(let event) = message.body {
                    deliver(event, requestID: message.id, terminal: terminal, to: host)
                    return true
                }
                perform(machine.received(.success(message)), context)
            case .failure(let error):
                perform(machine.received(.failure(error)), context)
            }
            return machine.isReading
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        arrival = nil
        host.flushWrites()
        context.flush()
        holdReadingWhileTheJournalIsPressed(context)
    }

    /// The next read waits while too many journal entries do. Asked once a read is handled (and
    /// before a connection's first), never on a timer, so an idle connection costs nothing.
    private func holdReadingWhileTheJournalIsPressed(_ context: ChannelHandlerContext) {
        // On every read: a look that allocates nothing first.
        guard !reads.isHeld(by: .journalPressed), services.readGate.isPressed else { return }
        let held = services.readGate.holds { [self] in reads.release(.journalPressed, context) }
        if held { reads.hold(.journalPressed, context) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        helloDeadline?.cancel()
        backpressure.cancel()
        if let peer, let terminalName { gate.boundConnectionClosed(peer, terminal: terminalName) }
        perform(machine.channelClosed(), context)
        if let ticket {
            self.ticket = nil
            gate.close(ticket, on: .events)
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
        guard !context.channel.isWritable else { return backpressure.resume(context, reads: &reads) }
        // A burst of refused lines in one read can fill the buffer while the peer reads fine, so
        // only a peer that leaves it full for the grace is closed.
        backpressure.pause(context, reads: &reads) { [self] in
            host.audit.daemon(.protocolErrors, "closing the connection of \(peerDescription): it does not read its replies",
                              level: .warning, fields: peerFields(reason: "not-reading"))
            perform(machine.notReading(), context)
        }
        context.flush()
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
            // Asked before the first read too: a peer that reconnects gets no read while the
            // journal is pressed, so closing and reconnecting cannot add to the backlog.
            holdReadingWhileTheJournalIsPressed(context)
            reads.release(.identifying, context)
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
            deliver(event, requestID: requestID, terminal: terminal, to: host)
        case .release(let terminal):
            host.disconnect(terminal, channel: context.channel)
        }
    }

    private func deliver(_ event: KioskEvent, requestID: RequestID?, terminal: TerminalID, to host: EngineHost) {
        let moment = arrival ?? host.now()
        arrival = moment
        host.handle(event, requestID: requestID, from: terminal, at: moment)
    }

    private func bind(_ hello: Hello, _ identity: PeerIdentity, requestID: RequestID?, _ context: ChannelHandlerContext) {
        let name: String
        switch admittedTerminal(hello.terminal, identity) {
        case .success(let admitted):
            name = admitted
        case .failure(let refusal):
            gate.deny(identity.credentials, socket: .events, terminal: hello.terminal, reason: "terminal-not-allowed")
            perform(machine.bindRefused(EventError(.terminalNotAllowed, refusal.message, requestID: requestID)), context)
            return
        }
        switch host.connect(name, requestID: requestID, channel: context.channel, peer: identity) {
        case .success(let bound):
            helloDeadline?.cancel()
            helloDeadline = nil
            if var ticket {
                gate.bind(&ticket)
                self.ticket = ticket
            }
            terminalName = name
            perform(machine.bound(to: bound), context)
        case .failure(var error):
            error.requestID = requestID
            perform(machine.bindRefused(error), context)
        }
    }

    private struct TerminalRefusal: Error {
        let message: String
    }

    /// The terminal a hello names, if it admits the peer; `auto` names the one terminal that does.
    private func admittedTerminal(_ named: String, _ identity: PeerIdentity) -> Result<String, TerminalRefusal> {
        guard named == TerminalProfile.automatic else {
            guard let terminal = host.terminalConfiguration(named: named),
                  terminal.admits(uid: identity.uid, gid: identity.gid, groups: identity.supplementaryGroups)
            else { return .failure(TerminalRefusal(message: "this user may not act as terminal \(named)")) }
            return .success(named)
        }
        let admitting = host.terminalsAdmitting(identity)
        switch admitting.count {
        case 1: return .success(admitting[0].name)
        case 0: return .failure(TerminalRefusal(message: "terminal auto: no configured terminal admits this user"))
        default:
            let names = admitting.map(\.name).joined(separator: ", ")
            return .failure(TerminalRefusal(message: "terminal auto: several terminals admit this user (\(names)); name one in hello"))
        }
    }

    private func write(_ message: OutboundMessage, _ context: ChannelHandlerContext) {
        if case .error(let error) = message, let peer { gate.refused(error.code, peer: peer, terminal: terminalName) }
        let bytes = message.encoded()
        var out = context.channel.allocator.buffer(capacity: bytes.count)
        out.writeBytes(bytes)
        context.write(wrapOutboundOut(out), promise: nil)
    }

    // MARK: Records

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
