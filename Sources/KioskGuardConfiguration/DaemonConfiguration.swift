public import KioskGuardCore
#if canImport(Glibc)
public import Glibc
#endif

/// The daemon's whole configuration, validated: every path, rule, group and terminal.
public struct DaemonConfiguration: Sendable {
    /// `[daemon]`: sockets, state, logging and connection limits.
    public var daemon: DaemonSettings
    /// `[policy]`: the default session rules of every terminal.
    public var policy: SessionPolicy
    /// Host-wide rules from `[policy]`: recurring patterns and account retention.
    public var hostRules: HostRules
    /// `[control]`: who may use the control socket.
    public var control: ControlSettings
    /// `[alerts]`: which anomalies become alerts, and when an undelivered alert is stalled.
    public var alerts: AlertSettings
    /// `[[hotline]]`: the incident hotline endpoints.
    public var hotlines: [HotlineEndpoint]
    /// `[metrics]`: the Prometheus textfile.
    public var metrics = MetricsSettings()
    /// `[[terminal]]`: the terminals kiosk apps may connect as.
    public var terminals: [TerminalConfiguration]

    /// Whether some terminal's `logind` lock action would act on a kiosk app's own login session
    /// (`TerminalConfiguration.locksAppLoginSession`); one pass over the terminals.
    public var locksAppLoginSessions: Bool { terminals.contains(where: \.locksAppLoginSession) }
    /// `[[site]]`: the web portals browser kiosks guard.
    public var sites: [GuardedSite] = []
    /// The files read, in order; empty when running on built-in defaults.
    public var sources: [String]

    /// Whether no configuration file was found and the built-in defaults apply.
    public var isBuiltInDefault: Bool { sources.isEmpty }

    /// The sites terminal `name` guards, as `welcome` gives them to its extension.
    public func sites(guardedBy name: String) -> [GuardedSite] {
        sites.filter { $0.isGuarded(by: name) }
    }
}

/// `[daemon]`.
public struct DaemonSettings: Sendable {
    /// The events socket's path (`events_socket`).
    public var eventsSocket: String
    /// The control socket's path (`control_socket`).
    public var controlSocket: String
    /// Where the outbox, persisted sessions and pseudonym index live (`state_directory`).
    public var stateDirectory: String
    /// The office or municipality this host serves (`site`): `KIOSKGUARD_SITE` on every journal
    /// entry and `data.site` in every alert, so a fleet's reviewers see patterns across offices.
    public var site: String?
    /// The pseudonym key's file (`pseudonym_key_file`); nil means the `pseudonym-key` credential.
    public var pseudonymKeyFile: String?
    /// Where records go (`log_target`).
    public var logTarget: LogTarget = .auto
    /// The longest event line accepted (`max_line_length`).
    public var maxLineLength = 16 * 1024
    /// How long a new connection may stay silent before `hello` (`hello_timeout`).
    public var helloTimeout: Duration = .seconds(10)
    /// The most event connections at once (`max_connections`).
    public var maxConnections = 1024
    /// The most event connections one uid may hold that are not bound to a terminal
    /// (`max_connections_per_uid`); a uid named in `allowed_users` may hold one per such terminal.
    public var maxConnectionsPerUID = 8
}

/// Where the daemon's records go.
public enum LogTarget: String, Sendable, CaseIterable {
    /// The journal when journald's socket exists, else stderr.
    case auto
    /// The systemd journal.
    case journal
    /// One line per record on stderr.
    case stderr
}

/// `[control]`.
public struct ControlSettings: Sendable {
    /// Groups whose members may use every verb (`admin_groups`).
    public var adminGroups: [NamedID]
    /// Groups whose members may use the read verbs (`read_groups`).
    public var readGroups: [NamedID] = []

    /// Settings with the given groups.
    public init(adminGroups: [NamedID], readGroups: [NamedID] = []) {
        self.adminGroups = adminGroups
        self.readGroups = readGroups
    }
}

/// A user or group as configured, with the id it resolved to.
public struct NamedID: Hashable, Sendable {
    /// The name as written in the configuration.
    public var name: String
    /// The uid or gid it resolved to.
    public var id: UInt32

    /// A resolved name.
    public init(name: String, id: UInt32) {
        self.name = name
        self.id = id
    }
}

/// `[alerts]`.
public struct AlertSettings: Sendable {
    /// Anomalies at or above this become alerts (`min_severity`).
    public var minSeverity: Severity = .medium
    /// An alert undelivered this long writes one CRIT journal entry (`stall_after`).
    public var stallAfter: Duration = .seconds(15 * 60)
    /// Delivered alerts are kept this long (`retention`).
    public var retention: Duration = .seconds(30 * 86_400)
    /// The first retry's backoff ceiling (`retry_base`; default 1 s).
    public var retryBase: Duration = .seconds(1)
    /// The largest backoff between retries (`retry_cap`; default 5 min).
    public var retryCap: Duration = .seconds(300)
}

/// `[metrics]`.
public struct MetricsSettings: Hashable, Sendable {
    /// The node_exporter textfile the metrics are written to (`textfile`, ending in `.prom`);
    /// nil: none is written, and `kioskguardctl metrics` still shows them.
    public var textfile: String?
    /// The shortest time between two rewrites of the textfile (`interval`).
    public var interval: Duration

    /// Settings with the given textfile and interval (by default none, and 15 s).
    public init(textfile: String? = nil, interval: Duration = .seconds(15)) {
        self.textfile = textfile
        self.interval = interval
    }
}

/// How alerts are posted to a hotline endpoint.
public enum HotlineFormat: String, Hashable, Sendable, CaseIterable {
    /// One CloudEvents 1.0 structured JSON event per POST to the endpoint's url.
    case cloudevents
    /// One alert per POST to `{url}/api/v2/alerts` of an Alertmanager.
    case alertmanager
}

/// One `[[hotline]]` endpoint.
public struct HotlineEndpoint: Hashable, Sendable {
    /// A short name, used in records and `status` (`name`).
    public var name: String
    /// Where alerts are POSTed (`url`, http or https); for Alertmanager, its base url.
    public var url: String
    /// How alerts are posted (`format`).
    public var format: HotlineFormat = .cloudevents
    /// For Alertmanager: how long after its detection an alert resolves (`resolve_after`).
    public var resolveAfter: Duration = .seconds(3600)
    /// The `whsec_…` secret's file (`secret_file`); nil means the `hotline-secret` credential.
    public var secretFile: String?
    /// How long one attempt may take, from connecting to the answer's last byte (`timeout`).
    public var timeout: Duration = .seconds(15)
    /// A CA bundle to trust instead of the system's (`ca_file`).
    public var caFile: String?

    /// A CloudEvents endpoint `name` at `url`, with every other setting at its default.
    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }
}

/// One `[[terminal]]`.
public struct TerminalConfiguration: Sendable {
    /// The engine's view: name, effective policy and lock plan.
    public var profile: TerminalProfile
    /// Users who may connect as this terminal (`allowed_users`).
    public var allowedUsers: [NamedID]
    /// Groups whose members may connect as this terminal (`allowed_groups`).
    public var allowedGroups: [NamedID]
    /// The logind session to lock, instead of the kiosk app's own (`logind_session`).
    public var logindSession: String?
    /// The program the `exec` lock action runs (`exec_command`), no shell involved.
    public var execCommand: [String]
    /// How long the `exec` action may run (`exec_timeout`); the `warn_command` too.
    public var execTimeout: Duration = .seconds(10)
    /// The program run at every warning (`warn_command`), no shell involved; empty: none.
    public var warnCommand: [String] = []
    /// The PC/SC reader the daemon watches itself for this terminal (`card_reader`, a glob
    /// such as `"Virtual PCD*"` matched against pcscd's reader names); nil: the app reports cards.
    public var cardReader: String?
    /// What identifies the card in that reader (`card_identity`, `card_identity_apdu`).
    public var cardIdentity = CardIdentity.atr
    /// Globs of the evdev devices whose input is activity for the terminal's open session
    /// (`input_devices`, such as `/dev/input/by-path/*-kbd`); empty: none.
    public var inputDevices: [String] = []

    /// The terminal's name.
    public var name: String { profile.name }

    /// Whether the `logind` lock action would act on the kiosk app's own login session (it is
    /// among the lock actions and no `logind_session` names another): the session logind names
    /// for the app's process when it connects.
    public var locksAppLoginSession: Bool { profile.lockPlan.systemActions.contains(.logind) && logindSession == nil }

    /// Whether a peer with `uid`, primary `gid` and supplementary `groups` may act as this
    /// terminal. Deny by default; root is not implicitly allowed.
    public func admits(uid: uid_t, gid: gid_t, groups: [gid_t]) -> Bool {
        if allowedUsers.contains(where: { $0.id == uid }) { return true }
        return allowedGroups.contains { allowed in allowed.id == gid || groups.contains(allowed.id) }
    }
}

/// What identifies the card in a watched reader; its pseudonym is the card's (and, on a
/// card-bound terminal, the session's subject).
public enum CardIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The card's ATR (`card_identity = "atr"`, the default): it tells card types apart, not
    /// always cards.
    case atr
    /// The answer to a command APDU (`card_identity = "apdu"` with `card_identity_apdu`), for
    /// example a GET DATA of the certificate serial.
    case apdu([UInt8])
    /// The JPKI user-authentication certificate of a My Number card
    /// (`card_identity = "jpki-auth-certificate"`), which reads without a PIN.
    case jpkiAuthenticationCertificate

    /// The `card_identity` names, each with the case it selects.
    public enum Name: String, Hashable, Sendable, CaseIterable {
        /// `atr`.
        case atr
        /// `apdu`, which needs `card_identity_apdu`.
        case apdu
        /// `jpki-auth-certificate`.
        case jpkiAuthenticationCertificate = "jpki-auth-certificate"
    }

    /// Its `card_identity` name, and the APDU in hex where there is one.
    public var description: String {
        switch self {
        case .atr: Name.atr.rawValue
        case .apdu(let apdu): "\(Name.apdu.rawValue) " + apdu.map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
        case .jpkiAuthenticationCertificate: Name.jpkiAuthenticationCertificate.rawValue
        }
    }
}
