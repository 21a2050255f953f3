import KioskGuardFraming
import KioskGuardProtocol
import NIOCore

/// What every kiosk app connection uses, held once for all of them: a connection's handler keeps
/// one reference to it rather than its own copy of each (with thousands of terminals connected,
/// that is a few hundred kilobytes). Confined to the engine's event loop.
final class EventConnectionServices {
    let host: EngineHost
    let gate: AccessGate
    let decoder: EventDecoder
    let identifier: any PeerIdentifying
    let readGate: JournalReadGate

    init(host: EngineHost, gate: AccessGate, decoder: EventDecoder, identifier: any PeerIdentifying, readGate: JournalReadGate) {
        self.host = host
        self.gate = gate
        self.decoder = decoder
        self.identifier = identifier
        self.readGate = readGate
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// A kiosk app connection's pipeline: the line decoder and the connection's handler.
    func addEventConnectionHandlers(_ services: EventConnectionServices) throws {
        try addHandler(ByteToMessageHandler(LineBatchDecoder(maxLineLength: services.decoder.limits.maxLineLength)))
        try addHandler(EventConnectionHandler(services: services))
    }
}
