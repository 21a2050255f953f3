import FoundationEssentials
import KioskGuardProtocol
import KioskGuardReview

/// Runs a verb that acts and prints what the daemon did.
func act(_ options: GlobalOptions, _ request: ControlRequest) throws {
    let result = try ControlConnection(path: options.socketPath).call(request, as: ActionResult.self)
    if options.json { return Output.json(result) }
    print(result.message)
}

/// Prints results for people (aligned tables) or scripts (JSON with sorted keys).
enum Output {
    /// Prints `rows` under `headers` with aligned columns; an empty table says so.
    static func table(_ headers: [String], _ rows: [[String]], empty: String) {
        guard !rows.isEmpty else {
            print(empty)
            return
        }
        let rows = rows.map { $0.map(ReviewText.printable) }
        let widths = headers.indices.map { column in ([headers[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }
        print(line(headers.map { $0.uppercased() }))
        rows.forEach { print(line($0)) }
    }

    /// Prints `value` as pretty JSON with sorted keys: the stable shape scripts rely on.
    static func json(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
    }

    /// Prints `value` as one compact JSON line (for streams).
    static func jsonLine(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
    }

    /// "-" for an absent value.
    static func cell(_ value: (some CustomStringConvertible)?) -> String {
        value.map(\.description) ?? "-"
    }

    /// A duration in seconds as `1h02m`, `3m05s` or `42s`.
    static func seconds(_ value: Int64?) -> String {
        guard let value else { return "-" }
        if value >= 3600 { return "\(value / 3600)h\(pad(value / 60 % 60))m" }
        if value >= 60 { return "\(value / 60)m\(pad(value % 60))s" }
        return "\(value)s"
    }

    /// How an enforcement ended, in one line: `lock of s-1 on counter-1, 12s ago: lock by logind
    /// succeeded: …`, or `UNENFORCED` before the entry's words when no action could (a reader,
    /// who is not shown the entry's words, sees `by logind` or `UNENFORCED` alone).
    static func enforcement(_ result: EnforcementResult) -> String {
        let what = "\(result.command) of \(ReviewText.printable(result.session)) on \(ReviewText.printable(result.terminal))"
        let said = switch (result.detail.map(ReviewText.printable), result.action) {
        case (let detail?, _?): detail
        case (let detail?, nil): "UNENFORCED: \(detail)"
        case (nil, let action?): "by \(action)"
        case (nil, nil): "UNENFORCED"
        }
        return "\(what), \(seconds(result.secondsAgo)) ago: \(said)"
    }

    private static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
