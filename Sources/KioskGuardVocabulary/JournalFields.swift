/// The journal fields the daemon writes and the review verbs read (systemd/kioskguard.catalog), in
/// one place so a test can prove journald accepts every one of them.
public enum JournalFields {
    /// The office or municipality of the host (`[daemon] site`), on every entry when set.
    public static let site = "KIOSKGUARD_SITE"
    /// The event class (`AuditEvent`).
    public static let event = "KIOSKGUARD_EVENT"
    /// The terminal the entry is about.
    public static let terminal = "KIOSKGUARD_TERMINAL"
    /// The kiosk app's session id.
    public static let session = "KIOSKGUARD_SESSION"
    /// The subject's pseudonym, never the raw identifier.
    public static let subject = "KIOSKGUARD_SUBJECT"
    /// The account's pseudonym, never the raw number.
    public static let account = "KIOSKGUARD_ACCOUNT"
    /// Why: a lock, end, warn or denial reason, or what a daemon event did.
    public static let reason = "KIOSKGUARD_REASON"
    /// The session state after the change (`SessionState`).
    public static let state = "KIOSKGUARD_STATE"
    /// The anomaly kind (`AnomalyKind`).
    public static let anomaly = "KIOSKGUARD_ANOMALY"
    /// The anomaly's severity (`Severity`).
    public static let severity = "KIOSKGUARD_SEVERITY"
    /// When an anomaly was detected, RFC 3339 in UTC to the microsecond (`anomaly` and the
    /// `alert-queued` entry of its alert, so review tools join the two exactly).
    public static let detectedAt = "KIOSKGUARD_DETECTED_AT"
    /// The alert's id, stable across redeliveries.
    public static let alertID = "KIOSKGUARD_ALERT_ID"
    /// The `[[hotline]]` endpoint's name.
    public static let endpoint = "KIOSKGUARD_ENDPOINT"
    /// The delivery attempt's number.
    public static let attempt = "KIOSKGUARD_ATTEMPT"
    /// The hotline's HTTP status.
    public static let httpStatus = "KIOSKGUARD_HTTP_STATUS"
    /// The uid of the peer a socket entry is about.
    public static let peerUID = "KIOSKGUARD_PEER_UID"
    /// The pid of that peer at connect time.
    public static let peerPID = "KIOSKGUARD_PEER_PID"
    /// The uid of the admin who acted.
    public static let adminUID = "KIOSKGUARD_ADMIN_UID"
    /// The step name of a step request.
    public static let step = "KIOSKGUARD_STEP"
    /// `allow` or `deny`, for step requests.
    public static let decision = "KIOSKGUARD_DECISION"
    /// Which system lock action a `lock-action` entry is about (`logind`, `exec`).
    public static let lockAction = "KIOSKGUARD_LOCK_ACTION"
    /// The pseudonym of the card in a watched reader (`card-reader` entries): its identity, not the person's.
    public static let card = "KIOSKGUARD_CARD"
    /// Facts of an anomaly, `KIOSKGUARD_DETAIL_<NAME>`; the names are the core's snake_case detail names.
    public static let detailPrefix = "KIOSKGUARD_DETAIL_"
    /// The fingerprint of the pseudonym key (`daemon-started`): pseudonyms of different keys never match.
    public static let keyFingerprint = "KIOSKGUARD_KEY_FINGERPRINT"
    /// The event class's fixed 128-bit id, explained in the catalog.
    public static let messageID = "MESSAGE_ID"

    /// Every fixed field name above.
    public static let all = [
        site, event, terminal, session, subject, account, reason, state, anomaly, severity, detectedAt, alertID, endpoint, attempt,
        httpStatus, peerUID, peerPID, adminUID, step, decision, lockAction, card, keyFingerprint, messageID,
    ]
}
