import NIOCore

/// Whether a connection is read, from every reason it may not be: it is read only while no
/// reason holds it. Each reason is held and released on its own and the channel's `autoRead`
/// follows them all, so the end of one (the peer took its replies) cannot resume reading that
/// another (the journal is pressed) still holds back. A connection starts held, unidentified,
/// as its channel starts with `autoRead` off.
struct ReadSwitch {
    /// A reason not to read a connection.
    enum Hold: UInt8 {
        /// The peer is not identified yet: nothing it sends is read before.
        case identifying = 1
        /// The peer leaves its replies unread (`ReplyBackpressure`).
        case repliesUnread = 2
        /// Too many journal entries wait for journald (`JournalReadGate`).
        case journalPressed = 4
    }

    // One bit a reason: thousands of connections each keep one.
    private var holds = Hold.identifying.rawValue

    /// Whether `reason` holds the connection.
    func isHeld(by reason: Hold) -> Bool {
        holds & reason.rawValue != 0
    }

    /// Whether the connection is read: no reason holds it.
    var isReading: Bool { holds == 0 }

    /// Holds the connection for `reason`; returns the channel's new `autoRead` if it changes.
    mutating func hold(_ reason: Hold) -> Bool? {
        let wasReading = isReading
        holds |= reason.rawValue
        return wasReading ? false : nil
    }

    /// Ends `reason`; returns the channel's new `autoRead` if it changes.
    mutating func release(_ reason: Hold) -> Bool? {
        guard isHeld(by: reason) else { return nil }
        holds &= ~reason.rawValue
        return isReading ? true : nil
    }

    /// Holds `context`'s channel for `reason`.
    mutating func hold(_ reason: Hold, _ context: ChannelHandlerContext) {
        if let autoRead = hold(reason) { try? context.channel.syncOptions?.setOption(.autoRead, value: autoRead) }
    }

    /// Ends `reason` for `context`'s channel, which is read again if nothing else holds it.
    mutating func release(_ reason: Hold, _ context: ChannelHandlerContext) {
        if let autoRead = release(reason) { try? context.channel.syncOptions?.setOption(.autoRead, value: autoRead) }
    }
}
