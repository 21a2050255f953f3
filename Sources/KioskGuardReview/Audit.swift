import KioskGuardVocabulary

/// Re-runs the handover and account rules over journal history, across hosts: an account
/// registered by two people is found however far apart the registrations were, and whichever
/// kiosks they were made at.
public struct Audit: Sendable {
    /// One suspicious finding.
    public struct Finding: Hashable, Sendable, Codable {
        /// The rule: `account.multiple-subjects`, `handover.card-swap`, `handover.subject-mismatch`,
        /// `handover.unclosed-session` or `step.on-inactive-session`.
        public var rule: String
        /// When the finding's deciding entry was written, microseconds since the epoch.
        public var time: UInt64
        /// Where.
        public var host: String
        /// The terminal, if any.
        public var terminal: String?
        /// The session, if any.
        public var session: String?
        /// The subject pseudonym of this finding's session (handover rules: the person whose
        /// session was handed over).
        public var subject: String?
        /// The account pseudonym concerned.
        public var account: String?
        /// The other subjects: the account's other registrants (account rule) or the next person
        /// (handover rules).
        public var others: [String]
        /// Every host involved (account rule: all hosts the account was registered on).
        public var hosts: [String]
    }

    private struct Link: Hashable, Sendable {
        var subject: String
        var host: String
        var terminal: String?
        var session: String?
        var time: UInt64
    }

    private var links: [String: [Link]] = [:]
    private var supersededOn: [String: (subject: String?, session: String?, time: UInt64)] = [:]
    private var handovers: [Finding] = []

    /// An empty audit.
    public init() {}

    /// Feeds one entry, in time order.
    public mutating func add(_ entry: ReviewEntry) {
        let terminalKey = entry.host + "\u{0}" + (entry.terminal ?? "-")
        switch AuditEvent(rawValue: entry.event) {
        case .stepDone:
            if let account = entry.account, let subject = entry.subject {
                var list = links[account, default: []]
                if !list.contains(where: { $0.subject == subject }) {
                    list.append(Link(subject: subject, host: entry.host, terminal: entry.terminal, session: entry.session, time: entry.time))
                    links[account] = list
                }
            }
            if entry.reason.flatMap(StepDoneNote.init(rawValue:)) == .inactiveSession {
                handovers.append(finding(.stepOnInactiveSession, entry, others: []))
            }
        case .sessionEnded:
            switch entry.reason.flatMap(EndReason.init(rawValue:)) {
            case .cardSwap: handovers.append(finding(.handoverCardSwap, entry, others: []))
            case .subjectMismatch: handovers.append(finding(.handoverSubjectMismatch, entry, others: []))
            case .superseded: supersededOn[terminalKey] = (entry.subject, entry.session, entry.time)
            default: break
            }
        case .sessionBegun:
            if let previous = supersededOn.removeValue(forKey: terminalKey), let subject = entry.subject, previous.subject != subject {
                var found = finding(.handoverUnclosedSession, entry, others: [subject])
                found.session = previous.session
                found.subject = previous.subject
                handovers.append(found)
            }
        default:
            break
        }
    }

    /// Every finding: handovers in time order, then, for each account linked to more than one
    /// subject, one finding per registration (its own time, host, terminal, session and the
    /// subject of that session), naming the account's other subjects in `others`.
    public var findings: [Finding] {
        let registrations = links.flatMap { account, list -> [Finding] in
            guard list.count > 1 else { return [] }
            let hosts = Array(Set(list.map(\.host))).sorted()
            return list.map { link in
                Finding(rule: AnomalyKind.accountMultipleSubjects.rawValue, time: link.time, host: link.host, terminal: link.terminal,
                        session: link.session, subject: link.subject, account: account,
                        others: list.map(\.subject).filter { $0 != link.subject }, hosts: hosts)
            }
        }.sorted { ($0.time, $0.account ?? "") < ($1.time, $1.account ?? "") }
        return handovers + registrations
    }

    private func finding(_ rule: AnomalyKind, _ entry: ReviewEntry, others: [String]) -> Finding {
        Finding(rule: rule.rawValue, time: entry.time, host: entry.host, terminal: entry.terminal, session: entry.session, subject: entry.subject,
                account: entry.account, others: others, hosts: [entry.host])
    }
}
