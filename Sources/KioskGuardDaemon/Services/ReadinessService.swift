import NIOCore
import ServiceLifecycle
import Systemd

/// Tells systemd how the daemon is: `READY=1` (with `STATUS=` and the watchdog) once the group
/// runs, every socket being held and the state restored before it starts, and `STOPPING=1` as
/// soon as graceful shutdown begins. It is the last service of the group, so the first to hear
/// of the shutdown.
struct ReadinessService: Service {
    let running: NIOLoopBound<RunningDaemon>

    func run() async throws {
        try await running.eventLoop.submit { [running] in running.value.announceReady() }.get()
        try? await gracefulShutdown()
        ServiceNotifier.shared.send("STOPPING=1")
    }
}
