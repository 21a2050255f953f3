import KioskGuardCore

/// What each kind of string field may contain. Everything a peer names ends up in the journal or
/// a table, so tokens are visible ASCII: no control characters that could forge a log line.
enum FieldRules {
    /// Terminal names: the core's rule (they are config keys too).
    static func isTerminalName(_ value: String) -> Bool {
        TerminalProfile.isValidName(value)
    }

    /// Session ids, step names, request ids, auth methods: visible ASCII, 1...`maxLength` bytes.
    static func isToken(_ value: String, maxLength: Int) -> Bool {
        let utf8 = value.utf8
        return !utf8.isEmpty && utf8.count <= maxLength && utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }

    /// A free-text label (the `client` of hello): printable ASCII including spaces.
    static func isLabel(_ value: String, maxLength: Int) -> Bool {
        let utf8 = value.utf8
        return utf8.count <= maxLength && utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }
    }

    /// Personal identifiers: any UTF-8 without control characters, 1...`maxLength` bytes.
    static func isIdentifier(_ bytes: UnsafeRawBufferPointer, maxLength: Int) -> Bool {
        !bytes.isEmpty && bytes.count <= maxLength && !bytes.contains { $0 < 0x20 || $0 == 0x7F }
    }
}
