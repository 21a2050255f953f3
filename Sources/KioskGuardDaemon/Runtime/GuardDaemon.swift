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

/// The daemon as a group of small services. `services` does everything `READY=1` promises
/// (state restored, outbox opened, sockets held, SIGHUP trapped) and returns the services in
/// dependency order, for a `ServiceGroup`, which starts them together and stops them in reverse:
///
///     engine ← alert outbox ← hotline deliveries (one per endpoint) ← metrics ← card readers
///            ← events socket ← control socket ← reload ← readiness
///
/// So on SIGTERM systemd hears `STOPPING=1` first, then no new connection is accepted, the card
/// reader and deliveries stop, and the engine commits its state last.
public enum GuardDaemon {
    /// The services of a daemon for `configuration`, loaded by `loader` from `configurationPath`
    /// (for reloads), logging through `logger`, which writes to the journal when `logsToJournal`.
    public static func services(
        configuration: DaemonConfiguration, loader: ConfigurationLoader, configurationPath: String?, environment: [String: String],
        logger: Logger, logsToJournal: Bool
    ) async throws -> [any Service] {
        let activated = Dictionary(ServiceManager.listenedSockets().map { ($0.name, $0.descriptor) }, uniquingKeysWith: { first, _ in first })
        let problems = StartChecks.problems(configuration, environment: environment, activatedSockets: Set(activated.keys))
        guard problems.isEmpty else { throw DaemonError(problems.joined(separator: "; ")) }
        let audit = AuditLog(logger: logger, buildsOnJournalThread: logsToJournal)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: 2)
        // Peer lookups have their own threads: a slow user database must not hold up lock actions.
        let lookups = NIOThreadPool(numberOfThreads: 2)
        // Lock actions too: each waits for logind to confirm (seconds), and must not wait behind
        // other work or too few threads.
        let enforcements = NIOThreadPool(numberOfThreads: LockActionRunner.concurrentEnforcements)
        pool.start()
        lookups.start()
        enforcements.start()
        let loop = group.next()
        do {
            let parts = try await loop.submit {
                try start(configuration, loader: loader, configurationPath: configurationPath, environment: environment, audit: audit, on: loop,
                          pool: pool, enforcements: enforcements)
            }.get()
            let running = parts.running
            let servers = try await bind(configuration.daemon, activated: activated, running: running,
                                         identifier: SocketPeerIdentifier(pool: lookups), group: group)
            let hangups = await UnixSignalsSequence(trapping: .sighup)
            var services: [any Service] = [EngineService(running: running, group: group, pools: [lookups, pool, enforcements])]
            services.append(AlertOutboxService(alerts: parts.alerts))
            services.append(HotlineDeliveriesService(alerts: parts.alerts))
            services.append(MetricsService(running: running, metrics: parts.metrics, pool: pool, logger: logger))
            for watcher in [parts.cardReaders, parts.inputDevices] as [(any WatcherThread)?] {
                if let watcher { services.append(WatcherThreadService(watcher: watcher, pool: pool)) }
            }
            services += servers.map { SocketServerService(channel: $0) } as [any Service]
            services.append(ReloadService(hangups: hangups, running: running))
            services.append(ReadinessService(running: running))
            return services
        } catch {
            try? await lookups.shutdownGracefully()
            try? await pool.shutdownGracefully()
            try? await enforcements.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// The loop-confined daemon and the services made with it.
    private struct Parts: Sendable {
        var running: NIOLoopBound<RunningDaemon>
        var alerts: AlertService
        var cardReaders: CardReaderWatcher?
        var inputDevices: InputActivityWatcher?
        var metrics: DaemonMetrics
    }

    /// Restores the state and wires the engine host to what it feeds: lock actions, the alert
    /// outbox, the card-reader watcher, `STATUS=`. Runs on the engine's loop.
    private static func start(
        _ configuration: DaemonConfiguration, loader: ConfigurationLoader, configurationPath: String?, environment: [String: String],
        audit: AuditLog, on loop: any EventLoop, pool: NIOThreadPool, enforcements: NIOThreadPool
    ) throws -> Parts {
        try SocketPaths.makeDirectories(configuration.daemon.stateDirectory, mode: 0o700)
        if let problem = FileSystem.ownershipProblem(ofDirectory: configuration.daemon.stateDirectory) {
            throw DaemonError("refusing the state directory: \(problem)")
        }
        let state = try StateStore(directory: configuration.daemon.stateDirectory)
        let pseudonymizer = try Secrets.pseudonymizer(configuration, environment: environment, audit: audit)
        let metrics = DaemonMetrics(site: configuration.daemon.site, terminals: configuration.terminals.map(\.name))
        let host = EngineHost(
            eventLoop: loop, configuration: configuration, clock: SystemClock(), audit: audit, state: state,
            lockActions: LockActionRunner(pool: enforcements, audit: audit, metrics: metrics), metrics: metrics
        )
        let control = ControlService(host: host, pseudonymizer: pseudonymizer)
        let reloader = Reloader(host: host, loader: loader, path: configurationPath, pool: pool)
        var limits = ProtocolLimits()
        limits.maxLineLength = configuration.daemon.maxLineLength
        let running = RunningDaemon(
            host: host, gate: AccessGate(host: host, audit: audit), control: control,
            reloader: reloader, decoder: EventDecoder(limits: limits, pseudonymizer: pseudonymizer), audit: audit
        )
        let bound = NIOLoopBound(running, eventLoop: loop)
        control.reload = { [reloader] done in reloader.reload(done) }
        let boundHost = NIOLoopBound(host, eventLoop: loop)
        let cardReaders = CardReaderWatcher(configuration: configuration, pseudonymizer: pseudonymizer, logger: audit.logger) { terminal, report in
            loop.execute { boundHost.value.readerReported(report, terminal: terminal) }
        }
        let inputDevices = try InputActivityWatcher(configuration: configuration, logger: audit.logger) { terminal in
            loop.execute { boundHost.value.inputActivity(terminal: terminal) }
        }
        host.statusChanged = { [unowned running] in running.statusChanged() }
        // Made with no [[hotline]] too: a reload may add one.
        let alerts = try AlertService(configuration: configuration, environment: environment,
                                      keyFingerprint: pseudonymizer.keyFingerprint, audit: audit) {
            loop.execute { bound.value.statusChanged() }
        }
        control.alerts = alerts
        reloader.alerts = alerts
        host.anomalySink = { alerts.accept($0) }
        try host.restore()
        return Parts(running: bound, alerts: alerts, cardReaders: cardReaders, inputDevices: inputDevices, metrics: metrics)
    }

    /// Takes the sockets systemd passed (`activated`, by name: `events`, `control`) or binds the
    /// configured paths.
    private static func bind(
        _ daemon: DaemonSettings, activated: [String: Int32], running: NIOLoopBound<RunningDaemon>, identifier: SocketPeerIdentifier,
        group: MultiThreadedEventLoopGroup
    ) async throws -> [any Channel] {
        let daemonUID = getuid()
        let services = try await running.eventLoop.submit {
            let running = running.value
            let readGate = JournalReadGate(backlog: JournalQueue.shared, eventLoop: running.host.eventLoop)
            let services = EventConnectionServices(host: running.host, gate: running.gate, decoder: running.decoder, identifier: identifier,
                                                   readGate: readGate)
            return NIOLoopBound(services, eventLoop: running.host.eventLoop)
        }.get()
        let events = try await listen(named: "events", path: daemon.eventsSocket, mode: 0o660, activated: activated, group: group) { pipeline in
            try pipeline.addEventConnectionHandlers(services.value)
        }
        // Open to every local user: readers get in without being admins, and the daemon
        // decides every verb on the peer's credentials.
        let control = try await listen(named: "control", path: daemon.controlSocket, mode: 0o666, activated: activated, group: group) { pipeline in
            let running = running.value
            try pipeline.addHandler(ByteToMessageHandler(LineBatchDecoder(maxLineLength: ControlConnectionHandler.maxLineLength)))
            try pipeline.addHandler(ControlConnectionHandler(service: running.control, gate: running.gate, identifier: identifier, daemonUID: daemonUID))
        }
        let eventsPath = activated["events"] == nil ? daemon.eventsSocket : events.localAddress?.pathname
        try await running.eventLoop.submit { running.value.eventsSocketPath = eventsPath }.get()
        return [events, control]
    }

    /// A listening socket: the one systemd passed under `name`, or `path` bound here (mode 0660).
    /// `makePipeline` runs on the event loop for each accepted connection. Connections start
    /// with reading off: nothing a peer sends is read before it is identified.
    private static func listen(
        named name: String, path: String, mode: mode_t, activated: [String: Int32], group: MultiThreadedEventLoopGroup,
        makePipeline: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void
    ) async throws -> any Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 256 * 1024))
            // NIO keeps each connection's last receive buffer for reuse, so an idle terminal holds
            // one. Most protocol lines (hello, activity, session.begin) fit in 128 bytes; a read
            // that fills the buffer doubles it, up to 64 KiB, so a busy peer soon reads in large
            // blocks while thousands of idle ones hold 128 bytes each rather than the default 2 KiB.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 128, maximum: 65536))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try makePipeline(channel.pipeline.syncOperations) }
            }
        if let descriptor = activated[name] {
            return try await bootstrap.withBoundSocket(descriptor).get()
        }
        try SocketPaths.prepare(path)
        return try await SocketPaths.bindPrivately(path, mode: mode) { try await bootstrap.bind(unixDomainSocketPath: $0).get() }
    }
}
