import NIOCore
import ServiceLifecycle

/// Holds one listening socket (events or control) until graceful shutdown, then closes it, so no
/// new connection is accepted while the services behind it stop.
struct SocketServerService: Service {
    let channel: any Channel

    func run() async throws {
        try? await gracefulShutdown()
        try? await channel.close()
    }
}
