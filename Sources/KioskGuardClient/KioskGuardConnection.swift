import KioskGuardFraming
public import NIOCore
public import NIOPosix

/// One kiosk app's connection to kioskguardd, bound to a terminal.
///
///     let guardian = try await KioskGuardConnection.connect(path: "/run/kioskguard/events.sock", terminal: "counter-1")
///     try await guardian.send(.sessionBegin(session: "s-1", subject: cardSerial, auth: "card+pin"))
///     Task { for await message in guardian.messages { … lock the UI on .lock, then send .locked … } }
///     let decision = try await guardian.requestStep(session: "s-1", step: "bank-account", sensitive: true)
public actor KioskGuardConnection {
    /// The daemon's `welcome`: protocol version, terminal and its effective timeouts.
    public nonisolated let welcome: DaemonMessage
    /// Everything the daemon sends except step decisions (which `requestStep` returns): `warn`,
    /// `lock`, `terminate`, `pong` and `error`. Ends when the connection closes.
    public nonisolated let messages: AsyncStream<DaemonMessage>

    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let channel: any Channel
    private var pendingSteps: [String: CheckedContinuation<DaemonMessage, any Error>] = [:]
    private var nextRequest = 0

    /// Connects to the events socket at `path` and binds the connection to `terminal`.
    /// - Throws: `KioskGuardClientError` when the daemon refuses the hello or closes.
    public static func connect(
        path: String, terminal: String, client: String? = nil, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> KioskGuardConnection {
        let maxLineLength = ProtocolLimits().maxLineLength
        let asyncChannel = try await ClientBootstrap(group: group).connect(unixDomainSocketPath: path) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLineLength: maxLineLength)))
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        let (stream, continuation) = AsyncStream<DaemonMessage>.makeStream()
        // The channel lives as long as this task: executeThenClose closes it when the reading ends.
        return try await withCheckedThrowingContinuation { (ready: CheckedContinuation<KioskGuardConnection, any Error>) in
            Task {
                var connection: KioskGuardConnection?
                do {
                    try await asyncChannel.executeThenClose { inbound, outbound in
                        var lines = inbound.makeAsyncIterator()
                        try await outbound.write(ByteBuffer(bytes: KioskMessage.hello(terminal: terminal, client: client).encoded()))
                        guard let first = try await lines.next() else { throw KioskGuardClientError.closed }
                        let welcome = try DaemonMessage.decode(first.readableBytesView).get()
                        guard case .welcome = welcome else { throw KioskGuardClientError.refused(welcome) }
                        let connected = KioskGuardConnection(welcome: welcome, messages: stream, outbound: outbound, channel: asyncChannel.channel)
                        connection = connected
                        ready.resume(returning: connected)
                        while let line = try await lines.next() {
                            guard case .success(let message) = DaemonMessage.decode(line.readableBytesView) else { continue }
                            if let unclaimed = await connected.deliverStepDecision(message) { continuation.yield(unclaimed) }
                        }
                    }
                } catch {
                    if connection == nil { ready.resume(throwing: error) }
                }
                continuation.finish()
                await connection?.failWaiters()
            }
        }
    }

    private init(welcome: DaemonMessage, messages: AsyncStream<DaemonMessage>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel) {
        self.welcome = welcome
        self.messages = messages
        self.outbound = outbound
        self.channel = channel
    }

    /// Sends one event (`id` is echoed in any error reply).
    public func send(_ message: KioskMessage, id: String? = nil) async throws {
        try await outbound.write(ByteBuffer(bytes: message.encoded(id: id)))
    }

    /// Asks whether `step` may be committed now, and waits for the decision.
    public func requestStep(session: String, step: String, sensitive: Bool = false, account: String? = nil) async throws -> DaemonMessage {
        nextRequest += 1
        let id = "step-\(nextRequest)"
        return try await withCheckedThrowingContinuation { continuation in
            pendingSteps[id] = continuation
            Task { try? await self.send(.stepRequest(session: session, step: step, sensitive: sensitive, account: account), id: id) }
        }
    }

    /// Closes the connection; the daemon treats an open session as a lost client and locks it.
    public func close() async {
        try? await channel.close()
    }

    /// Hands a step decision to the `requestStep` waiting for it; returns any other message.
    private func deliverStepDecision(_ message: DaemonMessage) -> DaemonMessage? {
        guard case .stepDecision(let id, _, _, _, _) = message, let waiter = pendingSteps.removeValue(forKey: id) else { return message }
        waiter.resume(returning: message)
        return nil
    }

    private func failWaiters() {
        for waiter in pendingSteps.values { waiter.resume(throwing: KioskGuardClientError.closed) }
        pendingSteps.removeAll()
    }
}

/// Why a connection to kioskguardd failed.
public enum KioskGuardClientError: Error, Hashable, Sendable {
    /// The daemon answered hello with this (an `error`: terminal-not-allowed, terminal-busy, …).
    case refused(DaemonMessage)
    /// The connection closed.
    case closed
}
