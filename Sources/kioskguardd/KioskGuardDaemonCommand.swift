import ArgumentParser
import KioskGuardConfiguration
import KioskGuardDaemon
import KioskGuardProtocol
import Logging
import ServiceLifecycle
import Systemd
#if canImport(Glibc)
import Glibc
#endif

/// The executable's entry: the daemon, or the browser bridge when started under its name.
@main
enum KioskGuardDaemonMain {
    static func main() async {
        if BridgeCommand.isInvoked(as: CommandLine.arguments.first) {
            await BridgeCommand.main()
        } else {
            await KioskGuardDaemonCommand.main()
        }
    }
}

/// `kioskguardd`: the guard daemon of a kiosk host.
struct KioskGuardDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskguardd",
        abstract: "Guards shared registration kiosks: locks idle and handed-over sessions, alerts the incident hotline.",
        discussion: """
            Reads \(ConfigurationLoader.defaultPath) and its drop-ins in \(ConfigurationLoader.defaultPath).d/, or runs on \
            built-in defaults (one terminal 'default' admitting the invoking user) when there is no file. A file that exists \
            but cannot be read is an error. Started under the name kioskguard-bridge, it is the browser's native-messaging \
            host instead (docs/browser-kiosks.md).
            """,
        version: KioskGuardVersion.current
    )

    @Option(name: .long, help: ArgumentHelp("Read this configuration file (and its .d/ drop-ins) instead.", valueName: "path"))
    var config: String?

    @Flag(name: .long, help: """
        Validate the configuration and apply every check a start applies (directories, the pseudonym key, hotline secrets \
        and CA files), print a summary or every problem found, and exit (0 it can start, 1 not). The checks are made for \
        the user the daemon runs as (see --as-user).
        """)
    var checkConfig = false

    @Option(name: .customLong("as-user"), help: ArgumentHelp("""
        With --check-config: check what a daemon running as this user could open. Default: kioskguard (the \
        packaged service's user) when root checks the installed configuration, else the invoking user.
        """, valueName: "user"))
    var asUser: String?

    /// The user the packaged unit runs the daemon as (`User=` in kioskguard.service).
    static let serviceUser = "kioskguard"

    func validate() throws {
        if let config, config.isEmpty { throw ValidationError("--config needs a path") }
        if let asUser {
            guard checkConfig else { throw ValidationError("--as-user goes with --check-config") }
            guard Accounts.uid(of: asUser) != nil else { throw ValidationError("--as-user '\(asUser)': no such user") }
        }
    }

    /// The uid the checks are made for.
    private var checkedUID: uid_t {
        if let asUser, let uid = Accounts.uid(of: asUser) { return uid }
        if config == nil, geteuid() == 0, let uid = Accounts.uid(of: Self.serviceUser) { return uid }
        return geteuid()
    }

    func run() async throws {
        let environment = Self.environment()
        let loader = ConfigurationLoader(environment: environment)
        let configuration: DaemonConfiguration
        do {
            configuration = try loader.load(path: config)
        } catch {
            Self.fail(error.all.map { "invalid configuration: \($0)" })
        }
        if checkConfig {
            let problems = StartChecks.problems(configuration, environment: environment, user: checkedUID)
            if !problems.isEmpty { Self.fail(problems.map { "cannot start: \($0)" }) }
            print(Self.summary(configuration))
            return
        }
        // State files hold pseudonyms and keys: private by default. Sockets get 0660 explicitly.
        umask(0o077)
        let target = configuration.daemon.logTarget
        let useJournal = target == .journal || (target == .auto && JournalWriter.isJournalAvailable)
        let site = configuration.daemon.site
        LoggingSystem.bootstrap { _ in useJournal ? JournalLogHandler(site: site) as any LogHandler : StderrLogHandler() as any LogHandler }
        // Journal entries are written from their own thread; the last ones must be out before exit.
        defer { JournalQueue.shared.flush() }
        let logger = Logger(label: "kioskguardd")
        if configuration.isBuiltInDefault {
            logger.notice("no configuration file at \(ConfigurationLoader.defaultPath): running on built-in defaults, one terminal 'default' admitting uid \(getuid())")
        }
        do {
            let services = try await GuardDaemon.services(
                configuration: configuration, loader: loader, configurationPath: config, environment: environment, logger: logger,
                logsToJournal: useJournal)
            let group = ServiceGroup(configuration: .init(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
            ))
            try await group.run()
        } catch {
            logger.critical("kioskguardd cannot run: \(error)")
            ServiceManager.notify("STATUS=failed: \(error)")
            // Whoever started it by hand must see why, not only the journal.
            if useJournal && !JournalWriter.isStandardErrorJournal { Self.printError("cannot run: \(error)") }
            throw ExitCode.failure
        }
    }

    private static func fail(_ messages: [String]) -> Never {
        messages.forEach(printError)
        Glibc.exit(1)
    }

    private static func printError(_ message: String) {
        var line = Array("kioskguardd: \(message)\n".utf8)
        _ = line.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    private static func summary(_ configuration: DaemonConfiguration) -> String {
        var lines = [
            "configuration valid: " + (configuration.isBuiltInDefault ? "built-in defaults" : configuration.sources.joined(separator: ", ")),
            "events socket: \(configuration.daemon.eventsSocket)",
            "control socket: \(configuration.daemon.controlSocket)",
            "state directory: \(configuration.daemon.stateDirectory)",
            "hotline endpoints: \(configuration.hotlines.isEmpty ? "none" : configuration.hotlines.map { "\($0.name) (\($0.format.rawValue))" }.joined(separator: ", "))",
            "metrics textfile: \(configuration.metrics.textfile.map { "\($0), at most every \(configuration.metrics.interval)" } ?? "none")",
        ]
        for terminal in configuration.terminals {
            let who = (terminal.allowedUsers.map { "user \($0.name)" } + terminal.allowedGroups.map { "group \($0.name)" })
            lines.append("terminal \(terminal.name): admits \(who.isEmpty ? "nobody" : who.joined(separator: ", ")); idle \(terminal.profile.policy.idleTimeout)")
        }
        return lines.joined(separator: "\n")
    }

    private static func environment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") { result[String(text[..<equals])] = String(text[text.index(after: equals)...]) }
            pointer += 1
        }
        return result
    }
}

