public import KioskGuardCore

/// How one enforcement by system lock actions ended, as the runner saw it.
public struct EnforcementOutcome: Sendable {
    /// The enforcement.
    public var enforcement: Enforcement
    /// The action seen to carry it out; nil when none could.
    public var action: SystemLockAction?
    /// What the `lock-action` journal entry that ended it says.
    public var message: String

    /// An outcome of `enforcement`, carried out by `action` (nil: by none), as `message` says.
    public init(enforcement: Enforcement, action: SystemLockAction?, message: String) {
        self.enforcement = enforcement
        self.action = action
        self.message = message
    }
}

/// What the runner tells the enforcement's host, from the runner's threads.
public struct EnforcementObserver: Sendable {
    /// Told why a lock logind accepted was not seen to happen.
    public var lockUnconfirmed: @Sendable (String) -> Void
    /// Told how the enforcement ended, once it has.
    public var finished: @Sendable (EnforcementOutcome) -> Void

    /// An observer calling `lockUnconfirmed` and `finished`.
    public init(lockUnconfirmed: @escaping @Sendable (String) -> Void, finished: @escaping @Sendable (EnforcementOutcome) -> Void) {
        self.lockUnconfirmed = lockUnconfirmed
        self.finished = finished
    }
}
