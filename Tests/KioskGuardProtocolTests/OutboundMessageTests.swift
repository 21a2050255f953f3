import KioskGuardCore
import KioskGuardProtocol
import Testing

@Suite("Daemon messages on the wire")
struct OutboundMessageTests {
    func roundTrip(_ message: OutboundMessage) throws -> DaemonMessage {
        let line = message.encoded()
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().firstIndex(of: UInt8(ascii: "\n")) == nil)
        return try DaemonMessage.decode(line.dropLast()).get()
    }

    @Test("welcome carries the protocol, the terminal and every timeout in seconds")
    func welcome() throws {
        var policy = SessionPolicy()
        policy.idleTimeout = .milliseconds(60_500)
        let decoded = try roundTrip(.welcome(terminal: "counter-1", policy: policy, sites: [], id: nil))
        guard case .welcome(let version, let terminal, let timeouts, let onCardRemoved) = decoded else {
            Issue.record("not a welcome: \(decoded)")
            return
        }
        #expect(version == 1)
        #expect(terminal == "counter-1")
        #expect(timeouts == [
            "idle_timeout": 61, "sensitive_idle_timeout": 60, "warn_before": 20, "lock_confirm_timeout": 3,
            "terminate_after_lock": 120, "max_session": 900, "presence_grace": 5, "sensitive_auth_max_age": 120,
        ])
        #expect(onCardRemoved == "lock")
    }

    @Test("warn, lock, terminate, step.decision and pong round-trip")
    func notices() throws {
        let session = SessionID("s-\"1\"")
        #expect(try roundTrip(.notice(.warn(session, reason: .maxDuration, lockIn: .milliseconds(19_001))))
                == .warn(session: "s-\"1\"", reason: "max-duration", lockIn: 20))
        #expect(try roundTrip(.notice(.lock(session, reason: .cardRemoved))) == .lock(session: "s-\"1\"", reason: "card-removed"))
        #expect(try roundTrip(.notice(.terminate(session, reason: .cardSwap))) == .terminate(session: "s-\"1\"", reason: "card-swap"))
        #expect(try roundTrip(.notice(.stepDecision(RequestID("r"), session: session, step: StepName("bank"), denial: nil)))
                == .stepDecision(id: "r", session: "s-\"1\"", step: "bank", allow: true, reason: nil))
        #expect(try roundTrip(.notice(.stepDecision(RequestID("r"), session: session, step: StepName("bank"), denial: .authStale)))
                == .stepDecision(id: "r", session: "s-\"1\"", step: "bank", allow: false, reason: "auth-stale"))
        #expect(try roundTrip(.pong(id: RequestID("p1"))) == .pong(id: "p1"))
        #expect(try roundTrip(.pong(id: nil)) == .pong(id: nil))
    }

    @Test("every error code reaches the wire with its message and the request id", arguments: EventErrorCode.allCases)
    func errors(code: EventErrorCode) throws {
        let message = "why \"\(code.rawValue)\"\n\u{1}"
        let decoded = try roundTrip(.error(EventError(code, message, requestID: RequestID("q"))))
        #expect(decoded == .error(code: code.rawValue, message: message, id: "q"))
    }

    @Test("engine refusals map to their wire codes", arguments: EngineRefusal.allCases)
    func refusals(refusal: EngineRefusal) throws {
        let decoded = try roundTrip(.notice(.refusal(refusal, message: "no", requestID: nil)))
        #expect(decoded == .error(code: refusal.rawValue, message: "no", id: nil))
        #expect(EventErrorCode(rawValue: refusal.rawValue) == EventErrorCode(refusal))
    }

    @Test("the exact bytes of a lock are stable")
    func stableBytes() {
        let line = OutboundMessage.notice(.lock(SessionID("s-1"), reason: .idle)).encoded()
        #expect(String(decoding: line, as: UTF8.self) == "{\"type\":\"lock\",\"session\":\"s-1\",\"reason\":\"idle\"}\n")
    }
}

@Suite("Control protocol")
struct ControlCodecTests {
    let codec = ControlCodec()

    @Test("a request round-trips")
    func roundTrip() throws {
        let request = ControlRequest(id: "1", verb: .lock, target: "counter-1")
        let line = codec.encode(request)
        #expect(try codec.decodeRequest(line.dropLast()).get() == request)
    }

    @Test("an unknown verb is refused with the request's id")
    func unknownVerb() {
        guard case .failure(let refusal) = codec.decodeRequest(Array(#"{"id":"7","verb":"explode"}"#.utf8)) else {
            Issue.record("accepted an unknown verb")
            return
        }
        #expect(refusal.id == "7")
        #expect(refusal.error.code == .unknownVerb)
    }

    @Test("malformed requests are refused precisely", arguments: [
        (#"nope"#, ControlErrorCode.badRequest), (#"{"id":"1"}"#, .badRequest), (#"{"id":"1","verb":"alerts","pending":"yes"}"#, .badRequest),
        (#"{"id":"1","verb":"terminate"}"#, .missingTarget), (#"{"id":"1","verb":"show","target":""}"#, .missingTarget),
    ])
    func malformed(line: String, code: ControlErrorCode) {
        guard case .failure(let refusal) = codec.decodeRequest(Array(line.utf8)) else {
            Issue.record("accepted \(line)")
            return
        }
        #expect(refusal.error.code == code)
    }

    @Test("a request over the limit is line-too-long")
    func tooLong() {
        let small = ControlCodec(maxLineLength: 32)
        let line = Array(#"{"id":"1","verb":"status","target":"xxxxxxxxxxxxxxxx"}"#.utf8)
        guard case .failure(let refusal) = small.decodeRequest(line) else {
            Issue.record("accepted an oversized request")
            return
        }
        #expect(refusal.error.code == .lineTooLong)
    }

    @Test("responses carry ok with a result, or an error")
    func responses() throws {
        let success = codec.encode(ControlResponse<[String]>.success(id: "1", ["counter-1"]))
        let decoded = try codec.decodeResponse(success.dropLast(), as: [String].self)
        #expect(decoded.ok && decoded.result == ["counter-1"] && decoded.error == nil)
        let failure = codec.encode(ControlResponse<[String]>.failure(id: "2", ControlError(.permissionDenied, "needs kioskguard-admin")))
        let refused = try codec.decodeResponse(failure.dropLast(), as: [String].self)
        #expect(!refused.ok && refused.error?.code == .permissionDenied && refused.id == "2")
    }

    @Test("read verbs are exactly the read-only ones of the contract (section 7, and section 11's metrics)")
    func readVerbs() {
        #expect(Set(ControlVerb.allCases.filter(\.isReadOnly)) == [.status, .terminals, .sessions, .show, .alerts, .metrics])
    }
}
