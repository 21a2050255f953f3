import KioskGuardFraming
import KioskGuardProtocol
import NIOCore
import Systemd

/// One connection on the control socket, behind `ByteToMessageHandler(LineFrameDecoder)`: the
/// peer is identified off the event loop before anything is read, then each line is one request,
/// checked against the peer's groups under the control settings in force.
final class ControlConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case identifying
        case serving(PeerIdentity, ControlAccess.Grant)
        case closing
    }

    private let service: ControlService
    private let gate: AccessGate
    private let identifier: any PeerIdentifying
    private let daemonUID: UInt32
    private let codec = ControlCodec()
    private var state = State.identifying

    init(service: ControlService, gate: AccessGate, identifier: any PeerIdentifying, daemonUID: UInt32) {
        self.service = service
        self.gate = gate
        self.identifier = identifier
        self.daemonUID = daemonUID
    }

    /// The longest request line accepted.
    static var maxLineLength: Int { ControlCodec().maxLineLength }

    func channelActive(context: ChannelHandlerContext) {
        identifier.identify(context.channel).assumeIsolated().whenComplete { [self] result in
            guard case .success(let peer) = result else { return close(context) }
            let access = service.access(daemonUID: daemonUID)
            let grant = access.grant(uid: peer.uid, gid: peer.gid, groups: peer.supplementaryGroups)
            guard grant != .none else {
                gate.deny(peer.credentials, socket: "control", terminal: nil, reason: "not in admin_groups or read_groups")
                send(codec.encode(ControlResponse<ActionResult>.failure(id: "", access.refusal(of: .status, under: .none)!)), context)
                return close(context)
            }
            state = .serving(peer, grant)
            try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .serving(let peer, let grant) = state else { return }
        let line = Array(unwrapInboundIn(data).readableBytesView)
        guard !line.isEmpty else { return }
        switch codec.decodeRequest(line) {
        case .failure(let refusal):
            send(codec.encode(ControlResponse<ActionResult>.failure(id: refusal.id, refusal.error)), context)
        case .success(let request):
            if let refusal = service.access(daemonUID: daemonUID).refusal(of: request.verb, under: grant) {
                return send(codec.encode(ControlResponse<ActionResult>.failure(id: request.id, refusal)), context)
            }
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            service.perform(request, adminUID: peer.uid) { [self] line in send(line, bound.value) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is LineTooLongError, case .serving = state {
            send(codec.encode(ControlResponse<ActionResult>.failure(id: "", ControlError(.lineTooLong, "request too long"))), context)
        }
        close(context)
    }

    private func send(_ line: [UInt8], _ context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        var out = context.channel.allocator.buffer(capacity: line.count)
        out.writeBytes(line)
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }

    private func close(_ context: ChannelHandlerContext) {
        if case .closing = state { return }
        state = .closing
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
