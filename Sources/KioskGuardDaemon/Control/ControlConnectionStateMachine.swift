import KioskGuardProtocol

/// The life of one control connection as a pure state machine: identify the peer, grant it a
/// level of access under the control settings in force, then answer one request per line. It
/// never touches a channel or the daemon; the handler carries out what it returns.
struct ControlConnectionStateMachine {
    enum State: Equatable {
        /// Connected; the peer's credentials and groups are being looked up, and nothing is read.
        case identifying
        /// The peer may use the verbs `grant` allows.
        case serving(PeerIdentity, ControlAccess.Grant)
        /// The daemon is closing the connection.
        case closing
    }

    /// What the connection handler must do.
    enum Action: Equatable {
        case none
        /// Start reading requests.
        case startReading
        /// Record the refusal of a peer in no admin or read group, answer it, and close.
        case refuseAndClose(PeerIdentity, ControlError)
        /// Answer with this error; the connection stays open.
        case reject(id: String, ControlError)
        /// Answer with this error, then close.
        case rejectAndClose(id: String, ControlError)
        /// Carry out `request` for the peer with uid `uid`, granted `grant`.
        case perform(ControlRequest, uid: UInt32, grant: ControlAccess.Grant)
        /// Close now.
        case close
    }

    private(set) var state = State.identifying
    private let access: ControlAccess

    /// A connection judged by `access` (the control settings in force when it was accepted).
    init(access: ControlAccess) {
        self.access = access
    }

    /// The peer's credentials and groups are known.
    mutating func identified(_ peer: PeerIdentity) -> Action {
        guard case .identifying = state else { return .none }
        let grant = access.grant(uid: peer.uid, gid: peer.gid, groups: peer.supplementaryGroups)
        guard grant != .none else {
            state = .closing
            return .refuseAndClose(peer, access.refusal(of: .status, under: .none)!)
        }
        state = .serving(peer, grant)
        return .startReading
    }

    /// The peer could not be identified.
    mutating func identificationFailed() -> Action {
        close()
    }

    /// Whether request lines are acted on.
    var isServing: Bool {
        if case .serving = state { return true }
        return false
    }

    /// A request line arrived, decoded (or refused) by the control codec.
    mutating func received(_ decoded: Result<ControlRequest, ControlRefusal>) -> Action {
        guard case .serving(let peer, let grant) = state else { return .none }
        switch decoded {
        case .failure(let refusal):
            return .reject(id: refusal.id, refusal.error)
        case .success(let request):
            if let refusal = access.refusal(of: request.verb, under: grant) { return .reject(id: request.id, refusal) }
            return .perform(request, uid: peer.uid, grant: grant)
        }
    }

    /// A request went past the length limit before its newline.
    mutating func lineTooLong() -> Action {
        guard case .serving = state else { return close() }
        state = .closing
        return .rejectAndClose(id: "", ControlError(.lineTooLong, "request too long"))
    }

    /// The channel failed, or the daemon gives up on the peer.
    mutating func close() -> Action {
        if case .closing = state { return .none }
        state = .closing
        return .close
    }
}
