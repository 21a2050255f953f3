import NIOPosix
import ServiceLifecycle

/// Runs the PC/SC card-reader watcher from start to graceful shutdown. Its thread blocks in
/// pcscd, and stopping it waits for that thread, so the stop runs on the thread pool rather than
/// on a Swift concurrency thread.
struct CardReaderService: Service {
    let watcher: CardReaderWatcher
    let pool: NIOThreadPool

    func run() async throws {
        watcher.start()
        try? await gracefulShutdown()
        try await pool.runIfActive { watcher.stop() }
    }
}
