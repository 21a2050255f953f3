import KioskGuardCore

/// The per-terminal session counters, `kioskguard_sessions_begun_total{terminal}` and
/// `kioskguard_sessions_ended_total{terminal,reason}`, kept as plain numbers and rendered here
/// rather than as registry counters: as registry counters, each with its prerendered line, a
/// terminal's twelve took some 4.5 KiB together (the memory benchmark, 10,000 terminals);
/// these cost the numbers and a dictionary entry. The label escaping is the text format's, as
/// swift-prometheus does it (its helper is file-private).
struct SessionCounters: Sendable {
    /// One terminal's counts; `ended` is empty until its first end, then one per reason, so that
    /// an open session costs no counter memory.
    private struct Counts {
        var begun: UInt64 = 0
        var ended: [UInt64] = []

        /// Whether the ended series exist: from the terminal's first session on.
        var hasEnded: Bool { begun > 0 || !ended.isEmpty }

        mutating func countEnd(_ index: Int) {
            if ended.isEmpty { ended = Array(repeating: 0, count: SessionCounters.reasons.count) }
            ended[index] += 1
        }
    }

    private static let reasons = EndReason.allCases
    private var terminals: [String: Counts] = [:]

    /// Starts `terminal`'s begun counter at 0, if it has none.
    mutating func declare(_ terminal: String) {
        if terminals[terminal] == nil { terminals[terminal] = Counts() }
    }

    /// Counts a session begun on `terminal`; from then on its ended counters exist, each at 0
    /// until counted, so that the first forgotten logout is an increase Prometheus can see.
    mutating func begun(on terminal: String) {
        terminals[terminal, default: Counts()].begun += 1
    }

    /// Counts a session of `terminal` ended for `reason`.
    mutating func ended(on terminal: String, _ reason: EndReason) {
        guard let index = Self.reasons.firstIndex(of: reason) else { return }
        terminals[terminal, default: Counts()].countEnd(index)
    }

    /// Both families in the text format, each series under `site` (label name, value) pairs
    /// first, terminals in name order.
    func render(site: [(String, String)], into buffer: inout [UInt8]) {
        let sorted = terminals.sorted { $0.key < $1.key }
        buffer.appendFamilyHeader(.sessionsBegun)
        for (terminal, counts) in sorted {
            buffer.appendSample(MetricName.sessionsBegun, site + [("terminal", terminal)], counts.begun)
        }
        buffer.appendFamilyHeader(.sessionsEnded)
        for (terminal, counts) in sorted where counts.hasEnded {
            for (index, reason) in Self.reasons.enumerated() {
                let count = counts.ended.isEmpty ? 0 : counts.ended[index]
                buffer.appendSample(MetricName.sessionsEnded, site + [("terminal", terminal), ("reason", reason.rawValue)], count)
            }
        }
    }
}

extension [UInt8] {
    /// `# HELP` and `# TYPE counter` lines of `name`; its help text has no backslash or line feed.
    fileprivate mutating func appendFamilyHeader(_ name: MetricName) {
        append(contentsOf: "# HELP \(name.rawValue) \(name.help)\n# TYPE \(name.rawValue) counter\n".utf8)
    }

    /// One sample line, its label values escaped as the text format requires (backslash, double
    /// quote and line feed).
    fileprivate mutating func appendSample(_ name: MetricName, _ labels: [(String, String)], _ value: UInt64) {
        append(contentsOf: name.rawValue.utf8)
        append(UInt8(ascii: "{"))
        for (index, (label, text)) in labels.enumerated() {
            if index > 0 { append(UInt8(ascii: ",")) }
            append(contentsOf: label.utf8)
            append(contentsOf: "=\"".utf8)
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): append(contentsOf: #"\\"#.utf8)
                case UInt8(ascii: "\""): append(contentsOf: #"\""#.utf8)
                case UInt8(ascii: "\n"): append(contentsOf: #"\n"#.utf8)
                default: append(byte)
                }
            }
            append(UInt8(ascii: "\""))
        }
        append(contentsOf: "} \(value)\n".utf8)
    }
}
