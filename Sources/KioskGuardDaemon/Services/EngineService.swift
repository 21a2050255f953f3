import NIOCore
import NIOPosix
import ServiceLifecycle

/// The engine host and the event loop and thread pools it runs on. Stopped last: when every
/// other service is down, it records `daemon-stopping`, commits the persisted sessions and shuts
/// the loop and pools down.
struct EngineService: Service {
    let running: NIOLoopBound<RunningDaemon>
    let group: MultiThreadedEventLoopGroup
    let pools: [NIOThreadPool]

    func run() async throws {
        try? await gracefulShutdown()
        try await running.eventLoop.submit { [running] in running.value.stop() }.get()
        for pool in pools { try? await pool.shutdownGracefully() }
        try await group.shutdownGracefully()
    }
}
