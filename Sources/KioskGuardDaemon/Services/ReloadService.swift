import NIOCore
import ServiceLifecycle
import UnixSignals

/// Reloads the configuration on every SIGHUP until graceful shutdown. SIGHUP is trapped before
/// `READY=1`, when the sequence is made: a reload sent right after readiness must not kill us.
struct ReloadService: Service {
    let hangups: UnixSignalsSequence
    let running: NIOLoopBound<RunningDaemon>

    func run() async throws {
        for await _ in hangups.cancelOnGracefulShutdown() {
            try await running.eventLoop.submit { [running] in running.value.reloader.reload { _ in } }.get()
        }
    }
}
