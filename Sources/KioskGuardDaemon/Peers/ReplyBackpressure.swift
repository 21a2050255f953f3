import NIOCore

/// Write backpressure for a connection whose peer sends requests: with 256 KiB of replies
/// pending (the channel's high water mark) it stops reading the peer until it takes them; a peer
/// that still has not taken them after `grace` is not reading at all and is given up on.
///
/// The handler calls `pause` when its channel turns unwritable and flushes afterwards, outside
/// the call: a flush can drain the buffer and turn the channel writable again before it returns,
/// re-entering the handler, which then calls `resume`.
struct ReplyBackpressure {
    /// How long a peer may leave a full buffer of replies unread.
    static let grace = TimeAmount.seconds(5)

    private var deadline: Scheduled<Void>?

    /// The replies pile up: stop reading the peer, and give it `grace` to take them, after which
    /// `notReading` runs if the channel is still unwritable.
    mutating func pause(_ context: ChannelHandlerContext, reads: inout ReadSwitch, notReading: @escaping () -> Void) {
        reads.hold(.repliesUnread, context)
        deadline?.cancel()
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: Self.grace) {
            guard !context.channel.isWritable else { return }
            notReading()
        }
    }

    /// The peer took its replies: read it again, unless something else holds it.
    mutating func resume(_ context: ChannelHandlerContext, reads: inout ReadSwitch) {
        cancel()
        reads.release(.repliesUnread, context)
    }

    /// Forgets the grace (the connection is gone).
    mutating func cancel() {
        deadline?.cancel()
        deadline = nil
    }
}
