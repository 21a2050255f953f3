/// The journal fields the daemon writes (design section 6), in one place so a test can prove
/// journald accepts every one of them.
public enum JournalFields {
    public static let event = "KIOSKGUARD_EVENT"
    public static let terminal = "KIOSKGUARD_TERMINAL"
    public static let session = "KIOSKGUARD_SESSION"
    public static let subject = "KIOSKGUARD_SUBJECT"
    public static let account = "KIOSKGUARD_ACCOUNT"
    public static let reason = "KIOSKGUARD_REASON"
    public static let state = "KIOSKGUARD_STATE"
    public static let anomaly = "KIOSKGUARD_ANOMALY"
    public static let severity = "KIOSKGUARD_SEVERITY"
    public static let alertID = "KIOSKGUARD_ALERT_ID"
    public static let endpoint = "KIOSKGUARD_ENDPOINT"
    public static let attempt = "KIOSKGUARD_ATTEMPT"
    public static let httpStatus = "KIOSKGUARD_HTTP_STATUS"
    public static let peerUID = "KIOSKGUARD_PEER_UID"
    public static let peerPID = "KIOSKGUARD_PEER_PID"
    public static let adminUID = "KIOSKGUARD_ADMIN_UID"
    public static let step = "KIOSKGUARD_STEP"
    public static let decision = "KIOSKGUARD_DECISION"
    /// Which system lock action a `lock-action` entry is about (`logind`, `exec`).
    public static let lockAction = "KIOSKGUARD_LOCK_ACTION"
    /// The pseudonym of the card in a watched reader (`card-reader` entries): its identity, not the person's.
    public static let card = "KIOSKGUARD_CARD"
    /// Facts of an anomaly, `KIOSKGUARD_DETAIL_<NAME>`; the names are the core's snake_case detail names.
    public static let detailPrefix = "KIOSKGUARD_DETAIL_"
    public static let messageID = "MESSAGE_ID"

    /// Every fixed field name above.
    public static let all = [
        event, terminal, session, subject, account, reason, state, anomaly, severity, alertID, endpoint, attempt,
        httpStatus, peerUID, peerPID, adminUID, step, decision, lockAction, card, messageID,
    ]
}
