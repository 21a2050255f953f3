import ServiceLifecycle
import Synchronization

/// What a reload did to the delivery workers: the ones to stop and the ones to start.
struct DeliveryChange: Sendable {
    var stopped: [HotlineDelivery]
    var started: [HotlineDelivery]
}

/// Runs the delivery worker of every `[[hotline]]` endpoint in force, each in a task of its own
/// so a dead endpoint delays no other, and follows reloads: a replaced worker is cancelled (an
/// alert it was sending stays in the outbox and goes out again, with the same id) and its HTTP
/// client shut down before the new one starts. At graceful shutdown every worker stops;
/// undelivered alerts stay in the outbox for the next start.
struct HotlineDeliveriesService: Service {
    let alerts: AlertService

    func run() async throws {
        let running = RunningDeliveries()
        alerts.workers.forEach(running.start)
        await cancelWhenGracefulShutdown {
            for await change in alerts.changes {
                for worker in change.stopped { await running.stop(worker) }
                change.started.forEach(running.start)
            }
        }
        for worker in running.all { await running.stop(worker) }
    }
}

/// The delivery tasks running, by worker.
private final class RunningDeliveries: Sendable {
    private let tasks = Mutex<[ObjectIdentifier: (worker: HotlineDelivery, task: Task<Void, Never>)]>([:])

    var all: [HotlineDelivery] { tasks.withLock { $0.values.map(\.worker) } }

    func start(_ worker: HotlineDelivery) {
        let task = Task {
            await worker.deliver()
            try? await worker.shutdownClient()
        }
        tasks.withLock { $0[ObjectIdentifier(worker)] = (worker, task) }
    }

    /// Cancels `worker`'s task and waits until it has stopped and closed its client.
    func stop(_ worker: HotlineDelivery) async {
        guard let task = tasks.withLock({ $0.removeValue(forKey: ObjectIdentifier(worker))?.task }) else { return }
        task.cancel()
        await task.value
    }
}
