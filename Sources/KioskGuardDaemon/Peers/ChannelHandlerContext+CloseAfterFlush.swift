import NIOCore

extension ChannelHandlerContext {
    /// Closes the channel once everything written so far has been flushed to the peer, so a
    /// refusal reaches it before the close (both sockets' handlers close this way).
    func closeAfterFlushing() {
        writeAndFlush(NIOAny(channel.allocator.buffer(capacity: 0))).assumeIsolated().whenComplete { [self] _ in
            close(promise: nil)
        }
    }
}
