import KioskGuardFraming
import KioskGuardProtocol
import NIOCore
import Systemd

/// One connection on the control socket, behind `ByteToMessageHandler(LineBatchDecoder)`: a thin
/// handler around `ControlConnectionStateMachine`. The peer is identified off the event loop
/// before anything is read; each line is then one request, answered by the control service.
final class ControlConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = LineBatch
    typealias OutboundOut = ByteBuffer

    private let service: ControlService
    private let gate: AccessGate
    private let identifier: any PeerIdentifying
    private let codec = ControlCodec()
    private var machine: ControlConnectionStateMachine

    init(service: ControlService, gate: AccessGate, identifier: any PeerIdentifying, daemonUID: UInt32) {
        self.service = service
        self.gate = gate
        self.identifier = identifier
        self.machine = ControlConnectionStateMachine(access: service.access(daemonUID: daemonUID))
    }

    /// The longest request line accepted.
    static var maxLineLength: Int { ControlCodec().maxLineLength }

    func channelActive(context: ChannelHandlerContext) {
        identifier.identify(context.channel).assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let peer): perform(machine.identified(peer), context)
            case .failure: perform(machine.identificationFailed(), context)
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        unwrapInboundIn(data).forEachLine { line in
            perform(machine.received(codec.decodeRequest(line)), context)
            return machine.isServing
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        perform(error is LineTooLongError ? machine.lineTooLong() : machine.close(), context)
    }

    private func perform(_ action: ControlConnectionStateMachine.Action, _ context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .startReading:
            try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        case .refuseAndClose(let peer, let refusal):
            gate.deny(peer.credentials, socket: "control", terminal: nil, reason: "not in admin_groups or read_groups")
            send(codec.encode(ControlResponse<ActionResult>.failure(id: "", refusal)), context)
            context.closeAfterFlushing()
        case .reject(let id, let error):
            send(codec.encode(ControlResponse<ActionResult>.failure(id: id, error)), context)
        case .rejectAndClose(let id, let error):
            send(codec.encode(ControlResponse<ActionResult>.failure(id: id, error)), context)
            context.closeAfterFlushing()
        case .perform(let request, let adminUID):
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            service.perform(request, adminUID: adminUID) { [self] line in send(line, bound.value) }
        case .close:
            context.close(promise: nil)
        }
    }

    private func send(_ line: [UInt8], _ context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        var out = context.channel.allocator.buffer(capacity: line.count)
        out.writeBytes(line)
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }
}
