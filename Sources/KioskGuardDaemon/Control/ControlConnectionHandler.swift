import KioskGuardFraming
import KioskGuardProtocol
import NIOCore
import Systemd

/// One connection on the control socket, behind `ByteToMessageHandler(LineBatchDecoder)`: a thin
/// handler around `ControlConnectionStateMachine`. The peer is admitted on its uid and identified
/// off the event loop before anything is read; each line is then one request, answered by the
/// control service. A peer must complete a request within `idleTimeout` of connecting or of its
/// last reply, and take its replies (`ReplyBackpressure`), or it is closed.
final class ControlConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = LineBatch
    typealias OutboundOut = ByteBuffer

    private let service: ControlService
    private let gate: AccessGate
    private let identifier: any PeerIdentifying
    private let codec = ControlCodec()
    private var machine: ControlConnectionStateMachine
    private var ticket: ConnectionBudget.Ticket?
    private var idleDeadline: Scheduled<Void>?
    private var requestsInFlight = 0
    private var backpressure = ReplyBackpressure()
    private var reads = ReadSwitch()
    /// How long a connection may go without a complete request while no reply is owed.
    static let idleTimeout = TimeAmount.seconds(30)

    init(service: ControlService, gate: AccessGate, identifier: any PeerIdentifying, daemonUID: UInt32) {
        self.service = service
        self.gate = gate
        self.identifier = identifier
        self.machine = ControlConnectionStateMachine(access: service.access(daemonUID: daemonUID))
    }

    /// The longest request line accepted.
    static var maxLineLength: Int { ControlCodec().maxLineLength }

    func channelActive(context: ChannelHandlerContext) {
        identifier.credentials(of: context.channel).assumeIsolated().whenComplete { [self] result in
            guard case .success(let credentials) = result, let admitted = gate.admit(credentials, on: .control) else {
                perform(machine.identificationFailed(), context)
                return
            }
            ticket = admitted
            armIdleDeadline(context)
            identifier.identity(of: credentials, on: context.channel, askingLogind: false).assumeIsolated().whenComplete { [self] result in
                switch result {
                case .success(let peer): perform(machine.identified(peer), context)
                case .failure: perform(machine.identificationFailed(), context)
                }
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        unwrapInboundIn(data).forEachLine { line in
            idleDeadline?.cancel()
            idleDeadline = nil
            perform(machine.received(codec.decodeRequest(line)), context)
            return machine.isServing
        }
        if requestsInFlight == 0 { armIdleDeadline(context) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleDeadline?.cancel()
        backpressure.cancel()
        if let ticket {
            self.ticket = nil
            gate.close(ticket, on: .control)
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        guard !context.channel.isWritable else { return backpressure.resume(context, reads: &reads) }
        backpressure.pause(context, reads: &reads) { [self] in perform(machine.close(), context) }
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        perform(error is LineTooLongError ? machine.lineTooLong() : machine.close(), context)
    }

    private func perform(_ action: ControlConnectionStateMachine.Action, _ context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .startReading:
            reads.release(.identifying, context)
        case .refuseAndClose(let peer, let refusal):
            gate.deny(peer.credentials, socket: .control, terminal: nil, reason: "not in admin_groups or read_groups")
            send(codec.encode(ControlResponse<ActionResult>.failure(id: "", refusal)), context)
            context.closeAfterFlushing()
        case .reject(let id, let error):
            send(codec.encode(ControlResponse<ActionResult>.failure(id: id, error)), context)
        case .rejectAndClose(let id, let error):
            send(codec.encode(ControlResponse<ActionResult>.failure(id: id, error)), context)
            context.closeAfterFlushing()
        case .perform(let request, let uid, let grant):
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            requestsInFlight += 1
            service.perform(request, uid: uid, grant: grant) { [self] line in
                requestsInFlight -= 1
                send(line, bound.value)
                if requestsInFlight == 0 { armIdleDeadline(bound.value) }
            }
        case .close:
            context.close(promise: nil)
        }
    }

    private func armIdleDeadline(_ context: ChannelHandlerContext) {
        guard idleDeadline == nil, context.channel.isActive else { return }
        idleDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: Self.idleTimeout) { [self] in
            idleDeadline = nil
            perform(machine.close(), context)
        }
    }

    private func send(_ line: [UInt8], _ context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        var out = context.channel.allocator.buffer(capacity: line.count)
        out.writeBytes(line)
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }
}
