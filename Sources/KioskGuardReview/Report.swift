import KioskGuardVocabulary

/// What happened at each terminal: sessions, how they ended, the forgotten-logout rate, and the
/// anomalies by type. Built by streaming entries through `add`; memory grows with terminals, not
/// with the journal.
public struct Report: Sendable {
    /// One terminal's figures.
    public struct TerminalFigures: Hashable, Sendable, Encodable {
        /// The host the terminal is on.
        public var host: String
        /// The terminal's name; `-` for the host's own anomalies and its refused connections
        /// (`ipc.denied`), whose terminal is whatever the refused peer asked for.
        public var terminal: String
        /// Sessions begun.
        public var sessionsBegun = 0
        /// Sessions ended, by end reason.
        public var endedBy: [String: Int] = [:]
        /// Anomalies, by type.
        public var anomalies: [String: Int] = [:]
        /// Sensitive and other steps denied.
        public var stepsDenied = 0

        /// Sessions ended.
        public var sessionsEnded: Int { endedBy.values.reduce(0, +) }

        /// Abandoned sessions (locked and never resumed) among all ended: the forgotten logouts.
        public var forgottenLogoutRate: Double {
            sessionsEnded == 0 ? 0 : Double(endedBy[EndReason.abandoned.rawValue, default: 0]) / Double(sessionsEnded)
        }

        enum CodingKeys: String, CodingKey {
            case host, terminal, anomalies
            case sessionsBegun = "sessions_begun"
            case endedBy = "ended_by"
            case stepsDenied = "steps_denied"
            case sessionsEnded = "sessions_ended"
            case forgottenLogoutRate = "forgotten_logout_rate"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(host, forKey: .host)
            try container.encode(terminal, forKey: .terminal)
            try container.encode(sessionsBegun, forKey: .sessionsBegun)
            try container.encode(sessionsEnded, forKey: .sessionsEnded)
            try container.encode(endedBy, forKey: .endedBy)
            try container.encode((forgottenLogoutRate * 10_000).rounded() / 10_000, forKey: .forgottenLogoutRate)
            try container.encode(anomalies, forKey: .anomalies)
            try container.encode(stepsDenied, forKey: .stepsDenied)
        }
    }

    private var figures: [String: TerminalFigures] = [:]

    /// An empty report.
    public init() {}

    /// Counts one entry.
    public mutating func add(_ entry: ReviewEntry) {
        // A peer refused at `hello` names any terminal it likes: it must not add rows to a report.
        let refused = entry.anomaly == AnomalyKind.ipcDenied.rawValue
        let terminal = refused ? "-" : entry.terminal ?? "-"
        let key = entry.host + "\u{0}" + terminal
        switch AuditEvent(rawValue: entry.event) {
        case .sessionBegun:
            figures[key, default: TerminalFigures(host: entry.host, terminal: terminal)].sessionsBegun += 1
        case .sessionEnded:
            figures[key, default: TerminalFigures(host: entry.host, terminal: terminal)].endedBy[entry.reason ?? "unknown", default: 0] += 1
        case .anomaly:
            figures[key, default: TerminalFigures(host: entry.host, terminal: terminal)].anomalies[entry.anomaly ?? "unknown", default: 0] += 1
        case .stepDenied:
            figures[key, default: TerminalFigures(host: entry.host, terminal: terminal)].stepsDenied += 1
        default:
            break
        }
    }

    /// The figures, by host and terminal.
    public var terminals: [TerminalFigures] {
        figures.values.sorted { ($0.host, $0.terminal) < ($1.host, $1.terminal) }
    }
}
