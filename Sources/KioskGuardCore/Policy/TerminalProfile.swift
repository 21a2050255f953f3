/// One configured terminal as the engine sees it: its name, its rules and how to lock it.
///
/// Who may connect as the terminal is the daemon's concern (peer credentials), not the engine's.
public struct TerminalProfile: Hashable, Sendable {
    /// The terminal's configured name, as the kiosk app names it in `hello`.
    public var name: String
    /// The effective rules: the `[policy]` defaults with the terminal's overrides applied.
    public var policy: SessionPolicy
    /// How a lock is enforced beyond the kiosk app's own UI.
    public var lockPlan: LockPlan
    /// Whether the daemon watches the terminal's card reader itself; its reports then outrank
    /// the kiosk app's card events.
    public var watchesCardReader: Bool
    /// Who begins the terminal's sessions: the kiosk app, or a card entering the watched reader.
    public var sessionSource: SessionSource
    /// Whether a warning also runs the terminal's `warn_command` (a terminal with no app to
    /// show it).
    public var warnsByCommand: Bool

    /// The name a `hello` gives to ask for the one configured terminal that admits the app (a
    /// browser's bridge knows its user, not its counter); no terminal may be configured under it.
    public static let automatic = "auto"

    /// Whether `name` can name a terminal: 1 to 64 letters, digits, `.`, `_` or `-`. The name is a
    /// config key, a wire field and a journal field value, so it is kept plain.
    public static func isValidName(_ name: String) -> Bool {
        let utf8 = name.utf8
        return !utf8.isEmpty && utf8.count <= 64 && utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default: false
            }
        }
    }

    /// A terminal with the given rules.
    public init(
        name: String, policy: SessionPolicy = SessionPolicy(), lockPlan: LockPlan = LockPlan(), watchesCardReader: Bool = false,
        sessionSource: SessionSource = .app, warnsByCommand: Bool = false
    ) {
        self.name = name
        self.policy = policy
        self.lockPlan = lockPlan
        self.watchesCardReader = watchesCardReader
        self.sessionSource = sessionSource
        self.warnsByCommand = warnsByCommand
    }
}

/// Who begins a terminal's sessions (`session_source`).
public enum SessionSource: String, Hashable, Sendable, CaseIterable {
    /// The kiosk app, with `session.begin`.
    case app
    /// The watched card reader: a card entering it begins a session for that card, whose subject
    /// is the card's identity; a terminal whose app cannot be changed is guarded so.
    case card
}

/// A system-level way to lock or end a session when the kiosk app cannot be trusted to.
public enum SystemLockAction: String, Hashable, Sendable, CaseIterable {
    /// logind's LockSession / TerminateSession for the kiosk app's login session.
    case logind
    /// A configured program, run with the KIOSKGUARD_* environment.
    case exec
}

/// The `lock_actions` of a terminal, in order.
///
/// The kiosk app is always told to lock. With `waitsForClient` (the `client` action, which may
/// only come first), the engine waits `lock_confirm_timeout` for its `locked` before escalating to
/// `systemActions`; without it the system actions run at once.
public struct LockPlan: Hashable, Sendable {
    /// Whether the app's own lock is tried first, with a confirmation deadline.
    public var waitsForClient: Bool
    /// The system actions, tried in order until one succeeds.
    public var systemActions: [SystemLockAction]

    /// The default plan, `["client", "logind"]`.
    public init(waitsForClient: Bool = true, systemActions: [SystemLockAction] = [.logind]) {
        self.waitsForClient = waitsForClient
        self.systemActions = systemActions
    }
}
