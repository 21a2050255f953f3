import NIOPosix
import ServiceLifecycle

/// A watcher with a thread of its own that blocks (in pcscd, in epoll) until something happens.
protocol WatcherThread: Sendable {
    /// Starts the thread.
    func start()
    /// Stops the thread, and returns once it is done: it blocks.
    func stop()
}

extension CardReaderWatcher: WatcherThread {}
extension InputActivityWatcher: WatcherThread {}

/// Runs a watcher thread (the PC/SC card readers, the input devices) from start to graceful
/// shutdown. Stopping it waits for its thread, so the stop runs on the thread pool rather than on
/// a Swift concurrency thread.
struct WatcherThreadService: Service {
    let watcher: any WatcherThread
    let pool: NIOThreadPool

    func run() async throws {
        watcher.start()
        try? await gracefulShutdown()
        try await pool.runIfActive { watcher.stop() }
    }
}
