import ServiceLifecycle

/// The alert outbox's own job beside the delivery workers: the retention pass at start. The
/// outbox itself is committed to by the engine's loop through `AlertService.accept`, and stays
/// open until the process ends, so an anomaly found during shutdown is still committed.
struct AlertOutboxService: Service {
    let alerts: AlertService

    func run() async throws {
        await alerts.pruneAtStart()
        try? await gracefulShutdown()
    }
}
