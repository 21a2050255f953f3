import KioskGuardFraming
import KioskGuardProtocol
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The relay between one browser (native messages on the bridge's stdin and stdout) and the
/// daemon's events socket, connected as the browser's own user. It lives on one event loop and
/// every method runs there.
///
/// The extension's messages go to the daemon as protocol lines once they are checked to be one
/// JSON object in UTF-8; the daemon's lines go to the extension as they are. The daemon going
/// away is said to the extension (`bridge.daemon` `lost`: it locks every guarded tab) and the
/// bridge reconnects by itself; the browser going away closes the daemon connection, so the
/// daemon's `client.lost` path runs as for any app.
final class BridgeRelay {
    private let eventLoop: any EventLoop
    private let configuration: BridgeConfiguration
    private var browser: (any Channel)?
    private var daemon: (any Channel)?
    private var reconnect: Scheduled<Void>?
    private var reconnectDelay: TimeAmount
    private var toldConnected: Bool?
    private var stopping = false
    /// What broke the browser's stream, if something did: the bridge then exits with status 1.
    private(set) var failure: NativeMessagingError?

    init(eventLoop: any EventLoop, configuration: BridgeConfiguration) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.reconnectDelay = configuration.firstReconnectDelay
    }

    func start(browser: any Channel) {
        self.browser = browser
        connect()
    }

    // MARK: The daemon side

    private func connect() {
        guard !stopping else { return }
        let relay = NIOLoopBound(self, eventLoop: eventLoop)
        let maxLineLength = configuration.maxMessageLength
        ClientBootstrap(group: eventLoop)
            .channelOption(.allowRemoteHalfClosure, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLineLength: maxLineLength)))
                    try channel.pipeline.syncOperations.addHandler(BridgeEndHandler(relay: relay.value, end: .daemon))
                }
            }
            .connect(unixDomainSocketPath: configuration.socketPath)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel): relay.value.connected(channel)
                case .failure: relay.value.daemonUnreachable()
                }
            }
    }

    private func connected(_ channel: any Channel) {
        guard !stopping else { return channel.close(promise: nil) }
        daemon = channel
        reconnectDelay = configuration.firstReconnectDelay
        announce(connected: true)
        updateReading()
    }

    private func daemonUnreachable() {
        announce(connected: false)
        scheduleReconnect()
    }

    func daemonLine(_ line: ByteBuffer) {
        guard line.readableBytes > 0 else { return }
        browser?.write(line, promise: nil)
    }

    func daemonReadComplete() {
        browser?.flush()
    }

    func daemonClosed(_ channel: any Channel) {
        guard daemon === channel else { return }
        daemon = nil
        guard !stopping else { return }
        announce(connected: false)
        scheduleReconnect()
        updateReading()
    }

    private func scheduleReconnect() {
        guard !stopping, reconnect == nil else { return }
        let relay = NIOLoopBound(self, eventLoop: eventLoop)
        reconnect = eventLoop.assumeIsolated().scheduleTask(in: reconnectDelay) {
            relay.value.reconnect = nil
            relay.value.connect()
        }
        reconnectDelay = min(reconnectDelay * 2, configuration.mostReconnectDelay)
    }

    private func announce(connected: Bool) {
        guard toldConnected != connected else { return }
        toldConnected = connected
        tell(.daemon(connected: connected))
        browser?.flush()
        report(connected ? "connected to kioskguardd at \(configuration.socketPath)"
            : "kioskguardd at \(configuration.socketPath) is not reachable; retrying")
    }

    // MARK: The browser side

    func browserMessage(_ message: ByteBuffer) {
        if let problem = message.withUnsafeReadableBytes({ JSONObjectCheck.problem(in: $0, maxDepth: configuration.maxDepth) }) {
            tell(.error(problem == .invalidUTF8 ? .badUTF8 : .badJSON, "a message from the extension is \(problem); it was not passed on"))
            return
        }
        guard let daemon else {
            tell(.error(.daemonUnavailable, "kioskguardd is not connected; the message was not delivered"))
            return
        }
        var line = daemon.allocator.buffer(capacity: message.readableBytes + 1)
        // In valid JSON a line break can only stand between tokens, where a space means the same.
        message.withUnsafeReadableBytes { bytes in
            for byte in bytes { line.writeInteger(byte == 0x0A || byte == 0x0D ? UInt8(ascii: " ") : byte) }
        }
        line.writeInteger(UInt8(ascii: "\n"))
        daemon.write(line, promise: nil)
    }

    func browserReadComplete() {
        daemon?.flush()
        browser?.flush()
    }

    /// The browser's stream broke its framing: say so, then end (it cannot be resynchronised).
    func browserBroke(_ error: NativeMessagingError) {
        guard failure == nil else { return }
        failure = error
        report(error.description)
        tell(.error(error.code, error.description))
        browserLeft()
    }

    /// The browser closed the bridge's stdin, or its end of the pipe went away.
    func browserLeft() {
        guard !stopping else { return }
        stopping = true
        reconnect?.cancel()
        reconnect = nil
        daemon?.close(promise: nil)
        browser?.flush()
        browser?.close(promise: nil)
    }

    /// Reads from each side only while the other can take what reading brings.
    func updateReading() {
        let browserTakes = browser?.isWritable ?? false
        let daemonTakes = daemon?.isWritable ?? true
        try? browser?.syncOptions?.setOption(.autoRead, value: browserTakes && daemonTakes)
        try? daemon?.syncOptions?.setOption(.autoRead, value: browserTakes)
    }

    private func tell(_ message: BridgeMessage) {
        guard let browser else { return }
        browser.write(message.encoded(allocator: browser.allocator), promise: nil)
    }

    // Chromium and Firefox put a host's stderr in their own log; only the bridge's own texts go
    // there, never a message's content.
    private func report(_ text: String) {
        var line = Array("kioskguard-bridge: \(text)\n".utf8)
        _ = line.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}

/// One end of the relay in its pipeline: the browser's (decoded native messages in) or the
/// daemon's (its lines in). What arrives and what happens to the channel goes to the relay.
final class BridgeEndHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    /// Which side of the relay the pipeline is.
    enum End {
        case browser
        case daemon
    }

    private let relay: BridgeRelay
    private let end: End

    init(relay: BridgeRelay, end: End) {
        self.relay = relay
        self.end = end
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch end {
        case .browser: relay.browserMessage(unwrapInboundIn(data))
        case .daemon: relay.daemonLine(unwrapInboundIn(data))
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        switch end {
        case .browser: relay.browserReadComplete()
        case .daemon: relay.daemonReadComplete()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch (end, error) {
        case (.browser, let broken as NativeMessagingError): relay.browserBroke(broken)
        case (.browser, _): relay.browserLeft()
        case (.daemon, _): context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if end == .browser, case .inputClosed = event as? ChannelEvent { relay.browserLeft() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch end {
        case .browser: relay.browserLeft()
        case .daemon: relay.daemonClosed(context.channel)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        relay.updateReading()
    }
}
