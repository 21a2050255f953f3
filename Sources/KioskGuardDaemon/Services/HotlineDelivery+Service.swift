import ServiceLifecycle

extension HotlineDelivery: Service {
    /// Delivers to this endpoint until graceful shutdown; undelivered alerts stay in the outbox
    /// for the next start. Then the endpoint's HTTP client is shut down.
    func run() async throws {
        await cancelWhenGracefulShutdown { await self.deliver() }
        try? await shutdownClient()
    }
}
