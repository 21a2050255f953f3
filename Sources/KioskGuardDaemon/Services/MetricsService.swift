import KioskGuardConfiguration
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Keeps node_exporter's textfile (`[metrics] textfile`) current: at most every `interval`,
/// and only when a metric moved, an alert is waiting (its age grows), or the file is
/// `heartbeat` old, so that Prometheus can tell a stopped guard from an idle one by the file's
/// age. It takes the gauges' snapshot on the engine's loop, and renders and writes on the thread
/// pool. The settings in force are read at every turn, so a reload reaches them; with no
/// textfile it waits for the next reload and wakes the daemon for nothing. At graceful shutdown
/// it writes a last time.
struct MetricsService: Service {
    let running: NIOLoopBound<RunningDaemon>
    let metrics: DaemonMetrics
    let pool: NIOThreadPool
    let logger: Logger

    /// An idle daemon still rewrites its textfile this often.
    static let heartbeat: Duration = .seconds(300)

    func run() async throws {
        var writer = TextfileWriter()
        while true {
            let (settings, snapshot) = try await running.eventLoop.submit { [running] () -> (MetricsSettings, MetricsSnapshot?) in
                let settings = running.value.host.configuration.metrics
                return (settings, settings.textfile == nil ? nil : running.value.control.metricsSnapshot())
            }.get()
            if let path = settings.textfile, let snapshot {
                metrics.update(snapshot)
                let generation = metrics.generation
                if writer.isDue(generation: generation, waiting: snapshot.alertsPending.values.contains { $0 > 0 }) {
                    await write(to: path, generation: generation, writer: &writer)
                }
            }
            guard !Task.isShuttingDownGracefully else { return }
            if settings.textfile == nil {
                // Nothing to keep current until a reload names a textfile, so no timer meanwhile.
                await cancelWhenGracefulShutdown { [metrics] in await metrics.reloaded.wait() }
            } else {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.interval) }
            }
            if Task.isCancelled { return }
            if Task.isShuttingDownGracefully { writer.forceNext() }
        }
    }

    private func write(to path: String, generation: UInt64, writer: inout TextfileWriter) async {
        let outcome: Result<Void, MetricsTextfileError>
        do {
            try await pool.runIfActive { [metrics] in try MetricsTextfile.write(metrics.exposition(), to: path) }
            outcome = .success(())
        } catch let error as MetricsTextfileError {
            outcome = .failure(error)
        } catch {
            return
        }
        switch writer.wrote(outcome, generation: generation) {
        case .failing(let error): logger.error("cannot write the metrics textfile: \(error)")
        case .recovered: logger.notice("the metrics textfile \(path) is written again")
        case nil: break
        }
    }
}

/// When the textfile is due, and which write failures are news. A pure value, so the rules are
/// tested without files or clocks of their own.
struct TextfileWriter {
    private var writtenGeneration: UInt64?
    private var writtenAt: ContinuousClock.Instant?
    private var failing: MetricsTextfileError?
    private let clock = ContinuousClock()

    /// A change worth reporting after a write.
    enum News: Equatable {
        case failing(MetricsTextfileError)
        case recovered
    }

    /// Whether to write now: never written, a metric moved since, an alert waits, or the last
    /// write is `MetricsService.heartbeat` old.
    func isDue(generation: UInt64, waiting: Bool, now: ContinuousClock.Instant = ContinuousClock().now) -> Bool {
        guard let writtenGeneration, let writtenAt, failing == nil else { return true }
        return generation != writtenGeneration || waiting || now - writtenAt >= MetricsService.heartbeat
    }

    /// The next turn writes whatever the metrics say (the last one, at shutdown).
    mutating func forceNext() {
        writtenGeneration = nil
    }

    /// Notes a write's outcome; returns what is news: the first failure of a kind, or a recovery.
    mutating func wrote(_ outcome: Result<Void, MetricsTextfileError>, generation: UInt64,
                        now: ContinuousClock.Instant = ContinuousClock().now) -> News? {
        switch outcome {
        case .success:
            writtenGeneration = generation
            writtenAt = now
            defer { failing = nil }
            return failing == nil ? nil : .recovered
        case .failure(let error):
            defer { failing = error }
            return failing == error ? nil : .failing(error)
        }
    }
}
