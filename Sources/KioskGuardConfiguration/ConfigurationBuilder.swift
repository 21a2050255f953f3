import KioskGuardCore

/// Accumulates the configuration file by file, then validates the whole.
struct ConfigurationBuilder {
    private var daemon: DaemonSettings
    private var policy = SessionPolicy()
    // Whether [policy] names on_card_removed: where nothing does, a card-bound terminal terminates.
    private var hostPolicySetsCardRemoval = false
    private var hostRules = HostRules()
    private var adminGroups: (names: [String], reader: TableReader, key: String)?
    private var readGroups: (names: [String], reader: TableReader, key: String)?
    private var alerts = AlertSettings()
    private var hotlines: [HotlineEndpoint] = []
    private var metrics = MetricsSettings()
    /// Terminals with their `[terminal.policy]`, applied over the final `[policy]` at the end.
    private var terminals: [(configuration: TerminalConfiguration, policy: TableReader?, reader: TableReader)] = []
    /// Sites with their table, whose `terminals` are checked once every terminal is known.
    var sites: [(site: GuardedSite, reader: TableReader)] = []
    /// Every error found so far, in file order.
    private var errors: [ConfigurationError] = []

    init(paths: DefaultPaths) {
        daemon = DaemonSettings(
            eventsSocket: paths.runtimeDirectory + "/events.sock", controlSocket: paths.runtimeDirectory + "/control.sock",
            stateDirectory: paths.stateDirectory
        )
    }

    /// Applies one file. A table with an error is left out and the error recorded, so that one
    /// run reports the first error of every table, not only the first of the whole.
    mutating func apply(_ file: TableReader) {
        var file = file
        do throws(ConfigurationError) { if var section = try file.table("daemon") { try applyDaemon(&section) } } catch { errors.append(error) }
        do throws(ConfigurationError) { if var section = try file.table("policy") { try applyHostPolicy(&section) } } catch { errors.append(error) }
        do throws(ConfigurationError) { if var section = try file.table("control") { try applyControl(&section) } } catch { errors.append(error) }
        do throws(ConfigurationError) { if var section = try file.table("alerts") { try applyAlerts(&section) } } catch { errors.append(error) }
        do throws(ConfigurationError) { if var section = try file.table("metrics") { try applyMetrics(&section) } } catch { errors.append(error) }
        for var section in tables("hotline", of: &file) {
            do throws(ConfigurationError) { hotlines.append(try Self.hotline(&section, existing: hotlines)) } catch { errors.append(error) }
        }
        for var section in tables("terminal", of: &file) {
            do throws(ConfigurationError) { try addTerminal(&section) } catch { errors.append(error) }
        }
        for var section in tables("site", of: &file) {
            do throws(ConfigurationError) { try addSite(&section) } catch { errors.append(error) }
        }
        do throws(ConfigurationError) { try file.rejectUnknownKeys() } catch { errors.append(error) }
    }

    /// The `[[key]]` tables of `file`; none, with the error recorded, when `key` is not such an array.
    private mutating func tables(_ key: String, of file: inout TableReader) -> [TableReader] {
        do throws(ConfigurationError) { return try file.tables(key) } catch {
            errors.append(error)
            return []
        }
    }

    /// Records an error that leaves a whole file out (it does not parse).
    mutating func record(_ error: ConfigurationError) { errors.append(error) }

    private mutating func applyHostPolicy(_ section: inout TableReader) throws(ConfigurationError) {
        hostPolicySetsCardRemoval = try Self.applyPolicy(&section, to: &policy)
        hostRules.patternThreshold = Int(try section.integer("pattern_threshold", in: 1...10_000) ?? Int64(hostRules.patternThreshold))
        hostRules.patternWindow = try section.duration("pattern_window") ?? hostRules.patternWindow
        hostRules.accountRetention = try section.duration("account_retention") ?? hostRules.accountRetention
        try section.rejectUnknownKeys()
    }

    private mutating func applyControl(_ section: inout TableReader) throws(ConfigurationError) {
        if let names = try section.strings("admin_groups") { adminGroups = (names, section, "admin_groups") }
        if let names = try section.strings("read_groups") { readGroups = (names, section, "read_groups") }
        try section.rejectUnknownKeys()
    }

    private mutating func applyAlerts(_ section: inout TableReader) throws(ConfigurationError) {
        alerts.minSeverity = try section.choice("min_severity", of: Severity.self) ?? alerts.minSeverity
        alerts.stallAfter = try section.duration("stall_after") ?? alerts.stallAfter
        alerts.retention = try section.duration("retention") ?? alerts.retention
        alerts.retryBase = try section.duration("retry_base") ?? alerts.retryBase
        alerts.retryCap = try section.duration("retry_cap") ?? alerts.retryCap
        if alerts.retryBase <= .zero || alerts.retryCap < alerts.retryBase {
            throw section.error("retry_cap", "retry_base must be positive and retry_cap at least retry_base")
        }
        try section.rejectUnknownKeys()
    }

    private mutating func applyMetrics(_ section: inout TableReader) throws(ConfigurationError) {
        if let textfile = try Self.absolutePath(&section, "textfile") {
            // node_exporter reads only *.prom; the daemon's temporary file must not end so.
            guard textfile.hasSuffix(".prom"), textfile.split(separator: "/").last.map({ $0.count > 5 }) == true else {
                throw section.error("textfile", "must name a file ending in .prom, as node_exporter's textfile collector reads no other")
            }
            metrics.textfile = textfile
        }
        if let interval = try section.duration("interval") {
            guard interval >= .seconds(1) && interval <= .seconds(3600) else {
                throw section.error("interval", "must be from 1s to 1h")
            }
            metrics.interval = interval
        }
        try section.rejectUnknownKeys()
    }

    private mutating func applyDaemon(_ section: inout TableReader) throws(ConfigurationError) {
        daemon.eventsSocket = try Self.absolutePath(&section, "events_socket") ?? daemon.eventsSocket
        daemon.controlSocket = try Self.absolutePath(&section, "control_socket") ?? daemon.controlSocket
        daemon.stateDirectory = try Self.absolutePath(&section, "state_directory") ?? daemon.stateDirectory
        daemon.pseudonymKeyFile = try Self.absolutePath(&section, "pseudonym_key_file") ?? daemon.pseudonymKeyFile
        if let site = try section.string("site") {
            // It is a label of every entry, alert and metric: one line, a name, no markup.
            guard !site.isEmpty, site.utf8.count <= 128, site == site.trimmingWhitespace(),
                  !site.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || "\"\\".unicodeScalars.contains($0) })
            else {
                throw section.error("site", "must be 1 to 128 bytes of text without control characters, quotes, backslashes or surrounding spaces")
            }
            daemon.site = site
        }
        daemon.logTarget = try section.choice("log_target", of: LogTarget.self) ?? daemon.logTarget
        daemon.maxLineLength = Int(try section.integer("max_line_length", in: 256...1_048_576) ?? Int64(daemon.maxLineLength))
        daemon.helloTimeout = try section.duration("hello_timeout") ?? daemon.helloTimeout
        daemon.maxConnections = Int(try section.integer("max_connections", in: 1...100_000) ?? Int64(daemon.maxConnections))
        daemon.maxConnectionsPerUID = Int(try section.integer("max_connections_per_uid", in: 1...100_000) ?? Int64(daemon.maxConnectionsPerUID))
        try section.rejectUnknownKeys()
    }

    /// Applies a `[policy]` table to `policy`; returns whether it named `on_card_removed`, whose
    /// default depends on the terminal.
    @discardableResult
    static func applyPolicy(_ section: inout TableReader, to policy: inout SessionPolicy) throws(ConfigurationError) -> Bool {
        policy.idleTimeout = try section.duration("idle_timeout") ?? policy.idleTimeout
        policy.sensitiveIdleTimeout = try section.duration("sensitive_idle_timeout") ?? policy.sensitiveIdleTimeout
        policy.warnBefore = try section.duration("warn_before") ?? policy.warnBefore
        policy.lockConfirmTimeout = try section.duration("lock_confirm_timeout") ?? policy.lockConfirmTimeout
        policy.terminateConfirmTimeout = try section.duration("terminate_confirm_timeout") ?? policy.terminateConfirmTimeout
        policy.terminateAfterLock = try section.duration("terminate_after_lock") ?? policy.terminateAfterLock
        policy.maxSession = try section.duration("max_session") ?? policy.maxSession
        let cardRemoval = try section.choice("on_card_removed", of: CardRemovalAction.self)
        policy.onCardRemoved = cardRemoval ?? policy.onCardRemoved
        policy.presenceGrace = try section.duration("presence_grace") ?? policy.presenceGrace
        policy.sensitiveAuthMaxAge = try section.duration("sensitive_auth_max_age") ?? policy.sensitiveAuthMaxAge
        return cardRemoval != nil
    }

    private static func hotline(_ section: inout TableReader, existing: [HotlineEndpoint]) throws(ConfigurationError) -> HotlineEndpoint {
        guard let name = try section.string("name"), TerminalProfile.isValidName(name) else {
            throw section.error("name", "every [[hotline]] needs a name of letters, digits, '.', '_' or '-'")
        }
        guard !existing.contains(where: { $0.name == name }) else { throw section.error("name", "hotline '\(name)' is defined twice") }
        guard let url = try section.string("url"), url.hasPrefix("https://") || url.hasPrefix("http://") else {
            throw section.error("url", "every [[hotline]] needs an http:// or https:// url")
        }
        var endpoint = HotlineEndpoint(name: name, url: url)
        endpoint.secretFile = try absolutePath(&section, "secret_file")
        endpoint.timeout = try section.duration("timeout") ?? endpoint.timeout
        endpoint.caFile = try absolutePath(&section, "ca_file")
        endpoint.format = try section.choice("format", of: HotlineFormat.self) ?? endpoint.format
        if let resolveAfter = try section.duration("resolve_after") {
            guard endpoint.format == .alertmanager else {
                throw section.error("resolve_after", "applies to format = \"alertmanager\" only")
            }
            guard resolveAfter >= .seconds(60) else { throw section.error("resolve_after", "must be at least 1min") }
            endpoint.resolveAfter = resolveAfter
        }
        try section.rejectUnknownKeys()
        return endpoint
    }

    private mutating func addTerminal(_ section: inout TableReader) throws(ConfigurationError) {
        guard let name = try section.string("name"), TerminalProfile.isValidName(name) else {
            throw section.error("name", "every [[terminal]] needs a name of 1 to 64 letters, digits, '.', '_' or '-'")
        }
        guard name != TerminalProfile.automatic else {
            throw section.error("name", "'\(name)' is reserved: a hello naming it asks for the one terminal that admits the app")
        }
        guard !terminals.contains(where: { $0.configuration.name == name }) else {
            throw section.error("name", "terminal '\(name)' is defined twice")
        }
        let users = try Self.resolve(&section, "allowed_users", kind: "user", lookup: Accounts.uid(of:))
        let groups = try Self.resolve(&section, "allowed_groups", kind: "group", lookup: Accounts.gid(of:))
        let lockPlan = try Self.lockPlan(&section)
        var configuration = TerminalConfiguration(
            profile: TerminalProfile(name: name, lockPlan: lockPlan), allowedUsers: users, allowedGroups: groups,
            logindSession: try section.string("logind_session"), execCommand: try section.strings("exec_command") ?? []
        )
        configuration.execTimeout = try section.duration("exec_timeout") ?? configuration.execTimeout
        configuration.cardReader = try section.string("card_reader")
        if configuration.cardReader?.isEmpty == true { throw section.error("card_reader", "name a reader, or leave card_reader out") }
        configuration.profile.watchesCardReader = configuration.cardReader != nil
        configuration.cardIdentity = try Self.cardIdentity(&section, hasReader: configuration.cardReader != nil)
        if lockPlan.systemActions.contains(.exec) {
            guard let program = configuration.execCommand.first, program.hasPrefix("/") else {
                throw section.error("exec_command", "the exec lock action needs exec_command with an absolute program path")
            }
        }
        if let devices = try section.strings("input_devices") {
            guard devices.count <= 16, devices.allSatisfy({ $0.hasPrefix("/") && $0.utf8.count <= 4096 && !$0.contains("\0") }) else {
                throw section.error("input_devices", "up to 16 absolute paths or globs of evdev devices, such as \"/dev/input/by-path/*-kbd\"")
            }
            configuration.inputDevices = devices
        }
        if let warnCommand = try section.strings("warn_command") {
            guard let program = warnCommand.first, program.hasPrefix("/") else {
                throw section.error("warn_command", "must start with an absolute program path")
            }
            configuration.warnCommand = warnCommand
            configuration.profile.warnsByCommand = true
        }
        configuration.profile.sessionSource = try section.choice("session_source", of: SessionSource.self) ?? .app
        if configuration.profile.sessionSource == .card {
            guard configuration.cardReader != nil else {
                throw section.error("session_source", "session_source = \"card\" needs card_reader: the cards in that reader begin the sessions")
            }
            if lockPlan.systemActions.contains(.logind), configuration.logindSession == nil {
                throw section.error("logind_session", "a card-bound terminal may have no kiosk app whose logind session could be locked: "
                                        + "set logind_session, or use the exec action")
            }
        }
        let policy = try section.table("policy")
        try section.rejectUnknownKeys()
        terminals.append((configuration, policy, section))
    }

    /// `card_identity` and `card_identity_apdu`: an APDU alone means `apdu`, as it did before
    /// `card_identity` existed; both need the reader they are sent to.
    private static func cardIdentity(_ section: inout TableReader, hasReader: Bool) throws(ConfigurationError) -> CardIdentity {
        let name = try section.choice("card_identity", of: CardIdentity.Name.self)
        let hex = try section.string("card_identity_apdu")
        for (key, given) in [("card_identity", name != nil), ("card_identity_apdu", hex != nil)] where given && !hasReader {
            throw section.error(key, "\(key) needs card_reader: it is about the card in that reader")
        }
        guard let hex else {
            switch name ?? .atr {
            case .atr: return .atr
            case .apdu: throw section.error("card_identity", "card_identity = \"apdu\" needs card_identity_apdu, the APDU to send")
            case .jpkiAuthenticationCertificate: return .jpkiAuthenticationCertificate
            }
        }
        guard name == nil || name == .apdu else {
            throw section.error("card_identity_apdu", "card_identity_apdu goes with card_identity = \"apdu\" only")
        }
        guard let apdu = Self.hexBytes(hex), (4...261).contains(apdu.count) else {
            throw section.error("card_identity_apdu", "a command APDU in hex: 4 to 261 bytes, such as \"00CA9F7F00\"")
        }
        return .apdu(apdu)
    }

    /// Bytes from hex digits (spaces allowed between bytes); nil if anything else is there.
    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = text.utf8.filter { $0 != UInt8(ascii: " ") }
        guard !digits.isEmpty, digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = TOMLParser.hexValue(digits[index]), let low = TOMLParser.hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func lockPlan(_ section: inout TableReader) throws(ConfigurationError) -> LockPlan {
        guard let names = try section.strings("lock_actions") else { return LockPlan() }
        var plan = LockPlan(waitsForClient: false, systemActions: [])
        for (index, name) in names.enumerated() {
            if name == "client" {
                guard index == 0 else { throw section.error("lock_actions", "'client' can only come first: the app is always told to lock first") }
                plan.waitsForClient = true
            } else if let action = SystemLockAction(rawValue: name), !plan.systemActions.contains(action) {
                plan.systemActions.append(action)
            } else {
                throw section.error("lock_actions", "'\(name)' is not one of client, logind, exec (each at most once)")
            }
        }
        return plan
    }

    private static func resolve(_ section: inout TableReader, _ key: String, kind: String, lookup: (String) -> UInt32?) throws(ConfigurationError) -> [NamedID] {
        var resolved: [NamedID] = []
        for name in try section.strings(key) ?? [] {
            guard let id = lookup(name) else { throw section.error(key, "no \(kind) named '\(name)' exists on this host") }
            resolved.append(NamedID(name: name, id: id))
        }
        return resolved
    }

    private static func absolutePath(_ section: inout TableReader, _ key: String) throws(ConfigurationError) -> String? {
        guard let path = try section.string(key) else { return nil }
        guard path.hasPrefix("/") else { throw section.error(key, "must be an absolute path") }
        return path
    }

    /// Validates the whole and applies the defaults that depend on it. Throws the first error
    /// found, with every other one in `furtherErrors`.
    func build(sources: [String], invokingUID: UInt32, defaultAdminGroup: String) throws(ConfigurationError) -> DaemonConfiguration {
        var errors = errors
        if let problem = policy.problem { errors.append(ConfigurationError(file: sources.last ?? "", line: 0, key: "policy", message: problem)) }
        var resolvedTerminals: [TerminalConfiguration] = []
        for (configuration, policyTable, reader) in terminals {
            var configuration = configuration
            var effective = policy
            do throws(ConfigurationError) {
                var setsCardRemoval = hostPolicySetsCardRemoval
                if var policyTable {
                    setsCardRemoval = try Self.applyPolicy(&policyTable, to: &effective) || setsCardRemoval
                    try policyTable.rejectUnknownKeys()
                }
                // The card is the session there: a card taken out ends it, unless told otherwise.
                if configuration.profile.sessionSource == .card && !setsCardRemoval { effective.onCardRemoved = .terminate }
                if let problem = effective.problem { throw reader.error("policy", problem) }
            } catch { errors.append(error) }
            configuration.profile.policy = effective
            resolvedTerminals.append(configuration)
        }
        errors += siteTerminalErrors(resolvedTerminals)
        var admin: [NamedID] = []
        var read: [NamedID] = []
        if sources.isEmpty {
            let user = NamedID(name: Accounts.userName(of: invokingUID) ?? String(invokingUID), id: invokingUID)
            resolvedTerminals = [TerminalConfiguration(profile: TerminalProfile(name: "default", policy: policy),
                                                       allowedUsers: [user], allowedGroups: [], execCommand: [])]
        } else {
            do throws(ConfigurationError) { admin = try Self.groups(adminGroups, defaultNames: [defaultAdminGroup], file: sources[0]) } catch {
                errors.append(error)
            }
            do throws(ConfigurationError) { read = try Self.groups(readGroups, defaultNames: [], file: sources[0]) } catch { errors.append(error) }
        }
        if var first = errors.first {
            first.furtherErrors = Array(errors.dropFirst())
            throw first
        }
        var configuration = DaemonConfiguration(
            daemon: daemon, policy: policy, hostRules: hostRules, control: ControlSettings(adminGroups: admin, readGroups: read),
            alerts: alerts, hotlines: hotlines, terminals: resolvedTerminals, sites: sites.map(\.site), sources: sources
        )
        configuration.metrics = metrics
        return configuration
    }

    /// Groups named in `[control]` must exist: a typo would otherwise lock admins out silently.
    private static func groups(
        _ configured: (names: [String], reader: TableReader, key: String)?, defaultNames: [String], file: String
    ) throws(ConfigurationError) -> [NamedID] {
        var resolved: [NamedID] = []
        for name in configured?.names ?? defaultNames {
            guard let gid = Accounts.gid(of: name) else {
                if let configured { throw configured.reader.error(configured.key, "no group named '\(name)' exists on this host") }
                throw ConfigurationError(file: file, line: 0, key: "control.admin_groups",
                                         message: "the default admin group '\(name)' does not exist; create it or set admin_groups")
            }
            resolved.append(NamedID(name: name, id: gid))
        }
        return resolved
    }
}
