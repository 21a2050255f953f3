import NIOCore

/// Write backpressure for a connection whose peer sends requests: with 256 KiB of replies
/// pending (the channel's high water mark) it stops reading the peer until it takes them; a peer
/// that still has not taken them after `grace` is not reading at all and is given up on.
struct ReplyBackpressure {
    /// How long a peer may leave a full buffer of replies unread.
    static let grace = TimeAmount.seconds(5)

    private var deadline: Scheduled<Void>?

    /// Call from `channelWritabilityChanged`; `notReading` runs when the grace has passed.
    mutating func writabilityChanged(_ context: ChannelHandlerContext, notReading: @escaping () -> Void) {
        let options = context.channel.syncOptions
        if context.channel.isWritable {
            cancel()
            try? options?.setOption(.autoRead, value: true)
            return
        }
        try? options?.setOption(.autoRead, value: false)
        context.flush()
        guard deadline == nil else { return }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: Self.grace) {
            guard !context.channel.isWritable else { return }
            notReading()
        }
    }

    /// Forgets the grace (the peer caught up, or the connection is gone).
    mutating func cancel() {
        deadline?.cancel()
        deadline = nil
    }
}
