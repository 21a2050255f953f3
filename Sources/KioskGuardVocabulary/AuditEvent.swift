/// The class of a journal entry (`KIOSKGUARD_EVENT`); each has its own MESSAGE_ID.
public enum AuditEvent: String, Hashable, Sendable, CaseIterable {
    /// The daemon is serving.
    case daemonStarted = "daemon-started"
    /// The daemon is shutting down.
    case daemonStopping = "daemon-stopping"
    /// A new configuration took effect (or was refused).
    case configReloaded = "config-reloaded"
    /// A kiosk app bound its connection to a terminal.
    case terminalConnected = "terminal-connected"
    /// A terminal's kiosk app went away.
    case terminalDisconnected = "terminal-disconnected"
    /// A peer was refused a terminal or a socket.
    case terminalDenied = "terminal-denied"
    /// A person authenticated and a session started.
    case sessionBegun = "session-begun"
    /// An idle or max-duration countdown was sent.
    case sessionWarned = "session-warned"
    /// A warned session saw activity and is active again (not in the contract's list, which has
    /// no name for this state change; every state change is recorded).
    case sessionResumed = "session-resumed"
    /// The session was locked.
    case sessionLocked = "session-locked"
    /// The same subject re-verified and the session is active again.
    case sessionUnlocked = "session-unlocked"
    /// The session ended; the reason says how.
    case sessionEnded = "session-ended"
    /// A step request was allowed.
    case stepAllowed = "step-allowed"
    /// A step request was denied; the reason says why.
    case stepDenied = "step-denied"
    /// A step was committed.
    case stepDone = "step-done"
    /// An anomaly was detected.
    case anomaly
    /// An alert was committed to the outbox.
    case alertQueued = "alert-queued"
    /// The hotline acknowledged an alert.
    case alertDelivered = "alert-delivered"
    /// An alert delivery failed and will be retried.
    case alertRetry = "alert-retry"
    /// An alert stayed undelivered past `stall_after`.
    case alertStalled = "alert-stalled"
    /// An admin changed something through the control socket.
    case adminAction = "admin-action"
    /// A system lock action (logind, exec) ran, with its outcome (not in the contract's list,
    /// which has no name for it; a failed system action must be logged and escalate).
    case lockAction = "lock-action"
    /// The reader the daemon watches itself saw a card come or go (not in the contract's list:
    /// the card watcher came after it).
    case cardReader = "card-reader"
    /// A kiosk app's connection had lines refused (malformed, over the limit, out of order) or
    /// did not read its replies: one summary per connection and minute, never one per line (not
    /// in the contract's list, which has no name for it).
    case protocolErrors = "protocol-errors"
}
