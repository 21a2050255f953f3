extension StringProtocol {
    /// The text without its leading and trailing whitespace (spaces, tabs, line ends): what
    /// `trimmingCharacters(in:)` does in full Foundation, which the daemon does not link.
    public func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
