public import KioskGuardConfiguration
import KioskGuardCore
import KioskGuardFraming
import KioskGuardProtocol
public import Logging
import NIOCore
import NIOPosix
public import ServiceLifecycle
import Systemd
import UnixSignals
#if canImport(Glibc)
import Glibc
#endif

/// The daemon as one long-running service: it holds the sockets, restores persisted state,
/// serves kiosk apps and admins, pings the watchdog from the event loop that serves events, reloads
/// on SIGHUP, and shuts down cleanly on graceful shutdown (SIGTERM, SIGINT).
public struct GuardDaemon: Service {
    private let configuration: DaemonConfiguration
    private let loader: ConfigurationLoader
    private let configurationPath: String?
    private let environment: [String: String]
    private let audit: AuditLog

    /// A daemon for `configuration`, loaded by `loader` from `configurationPath` (for reloads),
    /// logging through `logger`, which writes to the journal when `logsToJournal`.
    public init(
        configuration: DaemonConfiguration, loader: ConfigurationLoader, configurationPath: String?, environment: [String: String],
        logger: Logger, logsToJournal: Bool
    ) {
        self.configuration = configuration
        self.loader = loader
        self.configurationPath = configurationPath
        self.environment = environment
        self.audit = AuditLog(logger: logger, buildsOnJournalThread: logsToJournal)
    }

    public func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: 2)
        // Peer lookups have their own threads: a slow user database must not hold up lock actions.
        let lookups = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        lookups.start()
        let loop = group.next()
        let running: NIOLoopBound<Running>
        do {
            running = try await loop.submit { [self] in
                NIOLoopBound(try start(on: loop, pool: pool), eventLoop: loop)
            }.get()
            try await bind(running, identifier: SocketPeerIdentifier(pool: lookups), group: group)
        } catch {
            try? await lookups.shutdownGracefully()
            try? await pool.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw error
        }
        // Trap SIGHUP before READY=1: a reload sent right after readiness must not kill us.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        try await loop.submit { running.value.announceReady() }.get()
        let alerts = try await loop.submit { running.value.alerts }.get()
        alerts?.start()
        let cardReaders = try await loop.submit { running.value.cardReaders }.get()
        cardReaders?.start()

        for await _ in hangups.cancelOnGracefulShutdown() {
            try await loop.submit { running.value.reloader.reload { _ in } }.get()
        }

        ServiceNotifier.shared.send("STOPPING=1")
        cardReaders?.stop()
        try await loop.submit { running.value.stop() }.get()
        await alerts?.stop()
        for server in try await loop.submit({ running.value.servers }).get() {
            try? await server.close()
        }
        try? await lookups.shutdownGracefully()
        try? await pool.shutdownGracefully()
        try await group.shutdownGracefully()
    }

    /// Everything the running daemon holds, confined to the event loop.
    final class Running {
        let host: EngineHost
        let gate: AccessGate
        let control: ControlService
        let reloader: Reloader
        let decoder: EventDecoder
        var alerts: AlertService?
        var cardReaders: CardReaderWatcher?
        let audit: AuditLog
        var servers: [any Channel] = []
        var watchdog: RepeatedTask?
        var statusScheduled = false

        init(host: EngineHost, gate: AccessGate, control: ControlService, reloader: Reloader, decoder: EventDecoder, audit: AuditLog) {
            self.host = host
            self.gate = gate
            self.control = control
            self.reloader = reloader
            self.decoder = decoder
            self.audit = audit
        }

        func announceReady() {
            let configuration = host.configuration
            let source = configuration.isBuiltInDefault
                ? "built-in defaults (no configuration file found at \(ConfigurationLoader.defaultPath))"
                : configuration.sources.joined(separator: ", ")
            // The socket really held: under socket activation that is the unit's path, not the config's.
            let events = servers.first?.localAddress?.pathname ?? configuration.daemon.eventsSocket
            audit.daemon(.daemonStarted, "kioskguardd \(ControlService.version) started on \(source); events on \(events)")
            ServiceNotifier.shared.send("READY=1\nSTATUS=\(statusLine())")
            if let interval = ServiceManager.watchdogInterval {
                let half = TimeAmount.nanoseconds(interval.nanoseconds / 2)
                // Pinged from the loop that serves events, so a stalled loop stops the pings.
                watchdog = host.eventLoop.scheduleRepeatedTask(initialDelay: half, delay: half) { _ in
                    ServiceNotifier.shared.send("WATCHDOG=1")
                }
            }
        }

        /// Schedules one `STATUS=` update a second after a change, coalescing bursts; an idle
        /// daemon sends none.
        func statusChanged() {
            guard !statusScheduled else { return }
            statusScheduled = true
            host.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [self] in
                statusScheduled = false
                ServiceNotifier.shared.send("STATUS=\(statusLine())")
            }
        }

        func statusLine() -> String {
            let status = control.status()
            let open = status.sessions.values.reduce(0, +)
            let pending = status.alertsPending.values.reduce(0, +)
            return "\(status.terminalsConnected)/\(status.terminalsConfigured) terminals connected, \(open) open sessions "
                + "(\(status.sessions["locked"] ?? 0) locked), \(pending) alerts pending"
        }

        func stop() {
            watchdog?.cancel()
            audit.daemon(.daemonStopping, "kioskguardd stopping")
            host.commitState()
        }
    }

    private func start(on loop: any EventLoop, pool: NIOThreadPool) throws -> Running {
        try SocketPaths.makeDirectories(configuration.daemon.stateDirectory, mode: 0o700)
        let state = try StateStore(directory: configuration.daemon.stateDirectory)
        let pseudonymizer = try Secrets.pseudonymizer(configuration, environment: environment, audit: audit)
        let host = EngineHost(
            eventLoop: loop, configuration: configuration, clock: SystemClock(), audit: audit, state: state,
            lockActions: LockActionRunner(pool: pool, audit: audit)
        )
        let control = ControlService(host: host, pseudonymizer: pseudonymizer)
        let reloader = Reloader(host: host, loader: loader, path: configurationPath, pool: pool)
        var limits = ProtocolLimits()
        limits.maxLineLength = configuration.daemon.maxLineLength
        let running = Running(
            host: host, gate: AccessGate(host: host, audit: audit, maxConnections: configuration.daemon.maxConnections), control: control,
            reloader: reloader, decoder: EventDecoder(limits: limits, pseudonymizer: pseudonymizer), audit: audit
        )
        control.reload = { [reloader] done in reloader.reload(done) }
        let boundHost = NIOLoopBound(host, eventLoop: loop)
        running.cardReaders = CardReaderWatcher(configuration: configuration, pseudonymizer: pseudonymizer, logger: audit.logger) { terminal, report in
            loop.execute { boundHost.value.readerReported(report, terminal: terminal) }
        }
        host.statusChanged = { [unowned running] in running.statusChanged() }
        if !configuration.hotlines.isEmpty {
            let bound = NIOLoopBound(running, eventLoop: loop)
            let alerts = try AlertService(configuration: configuration, environment: environment, audit: audit) {
                loop.execute { bound.value.statusChanged() }
            }
            running.alerts = alerts
            control.alerts = alerts
            host.anomalySink = { alerts.accept($0) }
        }
        try host.restore()
        return running
    }

    /// Takes the sockets from systemd (`events`, `control`) or binds the configured paths.
    private func bind(_ running: NIOLoopBound<Running>, identifier: SocketPeerIdentifier, group: MultiThreadedEventLoopGroup) async throws {
        let activated = Dictionary(ServiceManager.listenedSockets().map { ($0.name, $0.descriptor) }, uniquingKeysWith: { first, _ in first })
        let daemon = configuration.daemon
        let helloTimeout = TimeAmount.nanoseconds(daemon.helloTimeout.nanoseconds)
        let daemonUID = getuid()
        let events = try await listen(named: "events", path: daemon.eventsSocket, activated: activated, group: group) { pipeline in
            let running = running.value
            try pipeline.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLineLength: running.decoder.limits.maxLineLength)))
            try pipeline.addHandler(EventConnectionHandler(host: running.host, gate: running.gate, decoder: running.decoder,
                                                           identifier: identifier, helloTimeout: helloTimeout))
        }
        let control = try await listen(named: "control", path: daemon.controlSocket, activated: activated, group: group) { pipeline in
            let running = running.value
            try pipeline.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLineLength: ControlConnectionHandler.maxLineLength)))
            try pipeline.addHandler(ControlConnectionHandler(service: running.control, gate: running.gate, identifier: identifier, daemonUID: daemonUID))
        }
        try await group.next().submit { running.value.servers = [events, control] }.get()
    }

    /// A listening socket: the one systemd passed under `name`, or `path` bound here (mode 0660).
    /// `makePipeline` runs on the event loop for each accepted connection. Connections start
    /// with reading off: nothing a peer sends is read before it is identified.
    private func listen(
        named name: String, path: String, activated: [String: Int32], group: MultiThreadedEventLoopGroup,
        makePipeline: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void
    ) async throws -> any Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 256 * 1024))
            // NIO keeps each connection's last receive buffer for reuse. A kiosk app's lines fit
            // in 512 bytes, so an idle terminal holds that rather than the default 2 KiB; a busy
            // one grows it by doubling, up to 64 KiB.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try makePipeline(channel.pipeline.syncOperations) }
            }
        if let descriptor = activated[name] {
            return try await bootstrap.withBoundSocket(descriptor).get()
        }
        try SocketPaths.prepare(path)
        let channel = try await bootstrap.bind(unixDomainSocketPath: path).get()
        SocketPaths.restrict(path)
        return channel
    }
}
