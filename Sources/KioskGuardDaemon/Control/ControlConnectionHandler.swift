import CSystemd
import KioskGuardProtocol
import NIOCore
import Systemd

/// One connection on the control socket: peer credentials checked on connect, then one JSON
/// request per line, each checked against the peer's groups.
final class ControlConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let service: ControlService
    private let access: ControlAccess
    private let gate: AccessGate
    private let codec = ControlCodec()
    private let framer: LineFramer
    private var grant: ControlAccess.Grant?
    private var peer: PeerCredentials?
    private var buffer: ByteBuffer?

    init(service: ControlService, access: ControlAccess, gate: AccessGate) {
        self.service = service
        self.access = access
        self.gate = gate
        self.framer = LineFramer(maxLineLength: ControlCodec().maxLineLength)
    }

    func channelActive(context: ChannelHandlerContext) {
        guard let provider = context.channel as? any SocketOptionProvider else {
            context.close(promise: nil)
            return
        }
        let credentials: EventLoopFuture<kioskguard_ucred> = provider.unsafeGetSocketOption(
            level: NIOBSDSocket.OptionLevel.socket, name: NIOBSDSocket.Option(rawValue: SO_PEERCRED))
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        credentials.assumeIsolated().whenComplete { [self] result in
            let context = bound.value
            guard case .success(let raw) = result else { return context.close(promise: nil) }
            let identity = PeerCredentials(pid: raw.pid, uid: raw.uid, gid: raw.gid)
            let grant = access.grant(uid: raw.uid, gid: raw.gid, groups: identity.supplementaryGroups)
            peer = identity
            self.grant = grant
            if grant == .none {
                gate.deny(identity, socket: "control", terminal: nil, reason: "not in admin_groups or read_groups")
                let refusal = access.refusal(of: .status, under: .none)!
                send(codec.encode(ControlResponse<ActionResult>.failure(id: "", refusal)), context, closing: true)
                return
            }
            process(context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer == nil { buffer = incoming } else { buffer!.writeBuffer(&incoming) }
        if grant == nil, buffer!.readableBytes > framer.maxLineLength { return context.close(promise: nil) }
        process(context)
    }

    private func process(_ context: ChannelHandlerContext) {
        guard let grant, grant != .none, let peer else { return }
        while var current = buffer, current.readableBytes > 0 {
            switch current.withUnsafeReadableBytes({ framer.frame($0) }) {
            case .incomplete:
                buffer = current
                return
            case .tooLong:
                buffer = nil
                send(codec.encode(ControlResponse<ActionResult>.failure(id: "", ControlError(.lineTooLong, "request too long"))), context, closing: true)
                return
            case .line(let content, let consumed):
                let line = current.withUnsafeReadableBytes { Array($0[content]) }
                current.moveReaderIndex(forwardBy: consumed)
                buffer = current
                guard !line.isEmpty else { continue }
                switch codec.decodeRequest(line) {
                case .failure(let refusal):
                    send(codec.encode(ControlResponse<ActionResult>.failure(id: refusal.id, refusal.error)), context)
                case .success(let request):
                    if let refusal = access.refusal(of: request.verb, under: grant) {
                        send(codec.encode(ControlResponse<ActionResult>.failure(id: request.id, refusal)), context)
                        continue
                    }
                    let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                    service.perform(request, adminUID: peer.uid) { [self] line in send(line, bound.value) }
                }
            }
        }
    }

    private func send(_ line: [UInt8], _ context: ChannelHandlerContext, closing: Bool = false) {
        var out = context.channel.allocator.buffer(capacity: line.count)
        out.writeBytes(line)
        let written = context.writeAndFlush(wrapOutboundOut(out))
        if closing { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
