import CSystemd
import KioskGuardCore
import KioskGuardProtocol
import Logging
import NIOCore
import Systemd

/// One kiosk app's connection: peer credentials, the hello handshake with its deadline, line
/// framing within the limit, decoding, and handing events to the engine. A misbehaving peer is
/// answered precisely and, when framing is broken or it may not act as the terminal, closed.
final class EventConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        /// Bytes are buffered until SO_PEERCRED is known.
        case awaitingCredentials
        case awaitingHello(PeerCredentials)
        case bound(TerminalID, PeerCredentials)
        case closed
    }

    private let host: EngineHost
    private let gate: AccessGate
    private let decoder: EventDecoder
    private let framer: LineFramer
    private let helloTimeout: TimeAmount
    private var state = State.awaitingCredentials
    private var buffer: ByteBuffer?
    private var helloDeadline: Scheduled<Void>?
    private var counted = false
    private var refusals = ProtocolErrorTally()
    private var unreadReplyDeadline: Scheduled<Void>?
    /// How long a peer may leave 256 KiB of replies unread before it is closed.
    static let unreadReplyGrace = TimeAmount.seconds(5)
    // Kept past the state that carries them, for the summary written when the connection closes.
    private var peer: PeerCredentials?
    private var terminalName: String?

    init(host: EngineHost, gate: AccessGate, decoder: EventDecoder, helloTimeout: TimeAmount) {
        self.host = host
        self.gate = gate
        self.decoder = decoder
        self.framer = LineFramer(maxLineLength: decoder.limits.maxLineLength)
        self.helloTimeout = helloTimeout
    }

    func channelActive(context: ChannelHandlerContext) {
        guard gate.open() else {
            host.raiseConnectionLimit()
            context.close(promise: nil)
            return
        }
        counted = true
        let channel = context.channel
        guard let provider = channel as? any SocketOptionProvider else {
            context.close(promise: nil)
            return
        }
        let credentials: EventLoopFuture<kioskguard_ucred> = provider.unsafeGetSocketOption(level: NIOBSDSocket.OptionLevel.socket, name: NIOBSDSocket.Option(rawValue: SO_PEERCRED))
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        credentials.assumeIsolated().whenComplete { [self] result in
            let context = loopBoundContext.value
            guard case .success(let raw) = result, case .awaitingCredentials = state else {
                context.close(promise: nil)
                return
            }
            let peer = PeerCredentials(pid: raw.pid, uid: raw.uid, gid: raw.gid)
            self.peer = peer
            state = .awaitingHello(peer)
            helloDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: helloTimeout) { [self] in
                guard case .awaitingHello = state else { return }
                fail(context, EventError(.helloFirst, "no hello within \(helloTimeout.nanoseconds / 1_000_000_000) s", closesConnection: true))
            }
            processBufferedLines(context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer == nil {
            buffer = incoming
        } else {
            buffer!.writeBuffer(&incoming)
        }
        if case .awaitingCredentials = state {
            // A peer may write before its credentials are read; bound what it can make us hold.
            if buffer!.readableBytes > framer.maxLineLength * 4 { context.close(promise: nil) }
            return
        }
        processBufferedLines(context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        host.flushWrites()
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        helloDeadline?.cancel()
        unreadReplyDeadline?.cancel()
        if let summary = refusals.drain() { report(summary, closing: true) }
        if case .bound(let terminal, _) = state { host.disconnect(terminal, channel: context.channel) }
        state = .closed
        if counted {
            counted = false
            gate.close()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The app shut down its sending side: answer what it sent, then close.
        if case .inputClosed = event as? ChannelEvent {
            host.flushWrites()
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
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
            if case .closed = state { return }
            guard !context.channel.isWritable else { return }
            if let summary = refusals.drain() { report(summary, closing: false) }
            host.audit.daemon(.protocolErrors, "closing the connection of \(peerDescription): it does not read its replies",
                              level: .warning, fields: peerFields(reason: "not-reading"))
            state = .closed
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: Lines

    private func processBufferedLines(_ context: ChannelHandlerContext) {
        // The buffer is worked on as a local for the whole batch; only a partial line goes back.
        guard var current = buffer else { return }
        buffer = nil
        // The lines of one read arrived together, so one clock reading times them all.
        var arrival: Moment?
        while current.readableBytes > 0 {
            let (frame, decoded) = current.withUnsafeReadableBytes { bytes in
                let frame = framer.frame(bytes)
                guard case .line(let content, _) = frame, !content.isEmpty else { return (frame, nil as Result<InboundMessage, EventError>?) }
                return (frame, decoder.decode(UnsafeRawBufferPointer(rebasing: bytes[content])))
            }
            switch frame {
            case .incomplete:
                // Keep only the partial line, not the whole read buffer it is a slice of.
                if current.readerIndex > 0 || current.capacity > 2 * current.readableBytes + 1024 {
                    var compact = context.channel.allocator.buffer(capacity: current.readableBytes)
                    compact.writeImmutableBuffer(current)
                    current = compact
                }
                // Kept even though NIO delivers no read while this one is dispatched: should that
                // change, bytes read meanwhile must follow the partial line, not replace it.
                if var arrived = buffer { current.writeBuffer(&arrived) }
                buffer = current
                return
            case .tooLong:
                fail(context, EventError(.lineTooLong, "a line may have at most \(framer.maxLineLength) bytes"))
                return
            case .line(_, let consumed):
                current.moveReaderIndex(forwardBy: consumed)
                switch decoded {
                case .success(let message)?: dispatch(message, arrival: &arrival, context)
                case .failure(let error)?: reply(.error(error), context, closing: error.closesConnection)
                case nil: continue
                }
                if case .closed = state { return }
            }
        }
    }

    private func dispatch(_ message: InboundMessage, arrival: inout Moment?, _ context: ChannelHandlerContext) {
        switch state {
        case .awaitingHello(let peer):
            switch Handshake.hello(from: message) {
            case .failure(let error): fail(context, error)
            case .success(let hello): bind(hello, peer: peer, id: message.id, context)
            }
        case .bound(let terminal, _):
            switch message.body {
            case .event(let event):
                let moment = arrival ?? host.now()
                arrival = moment
                host.handle(event, requestID: message.id, from: terminal, at: moment)
            case .ping: reply(.pong(id: message.id), context)
            case .hello: reply(.error(EventError(.badField, "this connection is already bound to a terminal", requestID: message.id)), context)
            }
        case .awaitingCredentials, .closed:
            break
        }
    }

    private func bind(_ hello: Hello, peer: PeerCredentials, id: RequestID?, _ context: ChannelHandlerContext) {
        guard let terminal = host.terminalConfiguration(named: hello.terminal),
              terminal.admits(uid: peer.uid, gid: peer.gid, groups: peer.supplementaryGroups)
        else {
            gate.deny(peer, socket: "events", terminal: hello.terminal, reason: "terminal-not-allowed")
            fail(context, EventError(.terminalNotAllowed, "this user may not act as terminal \(hello.terminal)", requestID: id))
            return
        }
        switch host.connect(hello.terminal, channel: context.channel, peer: peer) {
        case .success(let bound):
            helloDeadline?.cancel()
            state = .bound(bound, peer)
            terminalName = hello.terminal
        case .failure(var error):
            error.requestID = id
            reply(.error(error), context, closing: error.closesConnection)
        }
    }

    private func reply(_ message: OutboundMessage, _ context: ChannelHandlerContext, closing: Bool = false) {
        if case .error(let error) = message, let summary = refusals.count(error.code, at: .now()) {
            report(summary, closing: false)
        }
        let bytes = message.encoded()
        var out = context.channel.allocator.buffer(capacity: bytes.count)
        out.writeBytes(bytes)
        if closing {
            state = .closed
            context.writeAndFlush(wrapOutboundOut(out)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else {
            context.write(wrapOutboundOut(out), promise: nil)
        }
    }

    private func fail(_ context: ChannelHandlerContext, _ error: EventError) {
        reply(.error(error), context, closing: true)
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
