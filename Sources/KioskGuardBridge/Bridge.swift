public import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// What `kioskguard-bridge` relays to, and its bounds.
public struct BridgeConfiguration: Sendable {
    /// The daemon's events socket.
    public var socketPath: String
    /// The longest native message taken from the browser and the longest daemon line passed to
    /// it: 1 MiB, the most Chromium takes from a host.
    public var maxMessageLength = 1 << 20
    /// The deepest JSON nesting accepted from the extension.
    public var maxDepth = 16
    /// The wait before the first reconnection to a daemon that went away, doubled up to the most.
    public var firstReconnectDelay: TimeAmount = .milliseconds(100)
    /// The longest wait between reconnections.
    public var mostReconnectDelay: TimeAmount = .seconds(5)

    /// A bridge to the events socket at `socketPath`.
    public init(socketPath: String) {
        self.socketPath = socketPath
    }
}

/// The native-messaging host `kioskguard-bridge` (contract section 9): relays between the
/// browser extension on stdin and stdout and the daemon's events socket.
public enum Bridge {
    /// Relays until the browser goes away. Returns false when its stream broke its framing.
    public static func run(_ configuration: BridgeConfiguration) async throws -> Bool {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let eventLoop = group.next()
        let relay = try await eventLoop.submit {
            NIOLoopBound(BridgeRelay(eventLoop: eventLoop, configuration: configuration), eventLoop: eventLoop)
        }.get()
        let maxLength = configuration.maxMessageLength
        let browser = try await NIOPipeBootstrap(group: eventLoop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(ByteToMessageHandler(NativeMessageDecoder(maxLength: maxLength)))
                    try pipeline.addHandler(MessageToByteHandler(NativeMessageEncoder()))
                    try pipeline.addHandler(BridgeEndHandler(relay: relay.value, end: .browser))
                }
            }
            .takingOwnershipOfDescriptors(input: STDIN_FILENO, output: STDOUT_FILENO)
            .get()
        try await eventLoop.submit { relay.value.start(browser: browser) }.get()
        try await browser.closeFuture.get()
        let intact = try await eventLoop.submit { relay.value.failure == nil }.get()
        try await group.shutdownGracefully()
        return intact
    }
}
